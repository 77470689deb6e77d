package rlhf4j.policy.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading templates from model folders and the pieces of transformers' Jinja environment. */
class ChatTemplateTest {
  private static final String CHATML =
      "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
          + "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

  @Test
  void readsTheTemplateAndSpecialTokensOfATokenizerConfig(@TempDir Path dir) throws IOException {
    Files.writeString(
        dir.resolve("tokenizer_config.json"),
        "{\"bos_token\": {\"content\": \"<s>\", \"lstrip\": false}, \"eos_token\": \"</s>\","
            + " \"chat_template\": [{\"name\": \"tool_use\", \"template\": \"x\"},"
            + " {\"name\": \"default\", \"template\": \"{{ bos_token }}{{ messages[0].content }}"
            + "{{ eos_token }}\"}]}");
    ChatTemplate t = ChatTemplate.fromModelDir(dir);
    assertEquals(Map.of("bos_token", "<s>", "eos_token", "</s>"), t.specialTokens());
    assertEquals("<s>hi</s>", t.render(List.of(ChatTemplate.message("user", "hi")), false));
    Files.writeString(dir.resolve("chat_template.jinja"), CHATML);
    assertEquals(
        "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n",
        ChatTemplate.fromModelDir(dir).render(List.of(ChatTemplate.message("user", "hi")), true));
  }

  @Test
  void aFolderWithoutATemplateSaysSo(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"</s>\"}");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ChatTemplate.fromModelDir(dir));
    assertTrue(e.getMessage().contains("has no chat_template"), e.getMessage());
  }

  @Test
  void raiseExceptionFailsTheRenderWithTheTemplatesMessage() {
    ChatTemplate t =
        ChatTemplate.of(
            "{% if messages[0].role == 'system' %}{{ raise_exception('System role not"
                + " supported') }}{% endif %}ok",
            Map.of());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> t.render(List.of(ChatTemplate.message("system", "x")), false));
    assertEquals("System role not supported", e.getMessage());
    assertEquals("ok", t.render(List.of(ChatTemplate.message("user", "x")), false));
  }

  @Test
  void strftimeNowFormatsAsPython() {
    LocalDateTime t = LocalDateTime.of(2024, 7, 26, 9, 5, 3);
    assertEquals("26 Jul 2024", Strftime.format(t, "%d %b %Y"));
    assertEquals(
        "2024-07-26 09:05:03 Friday July %", Strftime.format(t, "%Y-%m-%d %H:%M:%S %A %B %%"));
    String today = ChatTemplate.of("{{ strftime_now('%Y') }}", Map.of()).render(List.of(), false);
    assertEquals(String.valueOf(LocalDateTime.now().getYear()), today);
  }

  @Test
  void tojsonIsPythonsJsonDumps() {
    Map<String, Object> x = new java.util.LinkedHashMap<>();
    x.put("name", "Zürich \"q\"\n");
    x.put("n", List.of(1L, 2.5, true));
    x.put("empty", Map.of());
    assertEquals(
        "{\"name\": \"Zürich \\\"q\\\"\\n\", \"n\": [1, 2.5, true], \"empty\": {}}",
        PyJson.dumps(x, null));
    assertEquals(
        "{\n  \"name\": \"Zürich \\\"q\\\"\\n\",\n  \"n\": [\n    1,\n    2.5,\n    true\n  ],\n"
            + "  \"empty\": {}\n}",
        PyJson.dumps(x, 2));
  }

  @Test
  void sliceStepsOtherThanAReversedLoopAreRefused() {
    assertEquals(
        "{% for m in messages|reverse %}", ChatTemplate.prepare("{% for m in messages[::-1] %}\n"));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> ChatTemplate.of("{{ xs[::2] }}", Map.of()));
    assertTrue(e.getMessage().contains("slice step"), e.getMessage());
  }
}
