package rlhf4j.policy.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import rlhf4j.testing.Fixtures;

/**
 * The stored Qwen2.5, Qwen3, Llama 3.2 and Gemma 3 chat templates render byte-identical to jinja2
 * in transformers' environment ({@code tools/fixtures/make_chat_goldens.py} made the goldens).
 */
class ChatTemplateGoldenTest {
  static Stream<Arguments> cases() throws IOException {
    Path dir = Fixtures.path("chat");
    List<JsonElement> cases = new ArrayList<>();
    JsonParser.parseString(Files.readString(dir.resolve("cases.json"), StandardCharsets.UTF_8))
        .getAsJsonArray()
        .forEach(cases::add);
    Map<String, JsonObject> goldens = new HashMap<>();
    JsonParser.parseString(Files.readString(dir.resolve("goldens.json"), StandardCharsets.UTF_8))
        .getAsJsonObject()
        .getAsJsonArray("goldens")
        .forEach(
            g -> goldens.put(g.getAsJsonObject().get("name").getAsString(), g.getAsJsonObject()));
    return cases.stream()
        .map(c -> c.getAsJsonObject())
        .map(
            c ->
                Arguments.of(
                    c.get("name").getAsString(), c, goldens.get(c.get("name").getAsString())));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  @SuppressWarnings("unchecked")
  void rendersLikeJinja2(String name, JsonObject c, JsonObject golden) throws IOException {
    String source =
        Files.readString(
            Fixtures.path("chat/templates/" + c.get("template").getAsString()),
            StandardCharsets.UTF_8);
    Map<String, Object> kwargs = (Map<String, Object>) ChatTemplate.fromJson(c.get("kwargs"));
    Map<String, String> tokens = new HashMap<>();
    Map<String, Object> extra = new HashMap<>();
    kwargs.forEach(
        (k, v) -> {
          if (k.endsWith("_token")) {
            tokens.put(k, (String) v);
          } else {
            extra.put(k, v);
          }
        });
    ChatTemplate t = ChatTemplate.of(source, tokens);
    List<Map<String, ?>> messages = (List<Map<String, ?>>) ChatTemplate.fromJson(c.get("messages"));
    List<Map<String, ?>> tools = (List<Map<String, ?>>) ChatTemplate.fromJson(c.get("tools"));
    boolean gen = c.get("add_generation_prompt").getAsBoolean();
    if (golden.has("error")) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> t.render(messages, tools, gen, extra));
      assertEquals(golden.get("error").getAsString(), e.getMessage());
    } else {
      assertEquals(
          golden.get("rendered").getAsString(), t.render(messages, tools, gen, extra), name);
    }
  }
}
