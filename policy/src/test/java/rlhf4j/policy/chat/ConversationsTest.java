package rlhf4j.policy.chat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import rlhf4j.policy.sft.SftExample;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.testing.Fixtures;

/** Conversational examples split into prompt and completion as TRL splits them. */
class ConversationsTest {
  private static ChatTemplate template(String name) throws IOException {
    return ChatTemplate.of(
        Files.readString(Fixtures.path("chat/templates/" + name), StandardCharsets.UTF_8),
        Map.of("bos_token", "<s>", "eos_token", "</s>"));
  }

  private static final List<Map<String, Object>> DIALOGUE =
      List.of(
          ChatTemplate.message("system", "Be brief."),
          ChatTemplate.message("user", "2 + 2?"),
          ChatTemplate.message("assistant", "4"),
          ChatTemplate.message("user", "3 + 3?"),
          ChatTemplate.message("assistant", "6"));

  @Test
  void theLastAssistantTurnIsTheCompletion() throws IOException {
    ChatTemplate qwen = template("qwen2.5.jinja");
    ChatTexts t = Conversations.lastAssistantTurn(qwen, DIALOGUE);
    assertEquals("6<|im_end|>\n", t.completion());
    assertTrue(t.prompt().endsWith("<|im_start|>user\n3 + 3?<|im_end|>\n<|im_start|>assistant\n"));
    assertEquals(qwen.render(DIALOGUE, false), t.prompt() + t.completion());
    // Qwen3 writes an empty think block into the last assistant turn only
    ChatTexts q3 = Conversations.lastAssistantTurn(template("qwen3.jinja"), DIALOGUE);
    assertEquals("<think>\n\n</think>\n\n6<|im_end|>\n", q3.completion());
  }

  @Test
  void preferencePairsShareTheRenderedPrompt() throws IOException {
    ChatTemplate llama = template("llama3.2.jinja");
    List<Map<String, Object>> prompt = List.of(ChatTemplate.message("user", "2 + 2?"));
    ChatTexts chosen =
        Conversations.promptCompletion(
            llama, prompt, List.of(ChatTemplate.message("assistant", "4")));
    ChatTexts rejected =
        Conversations.promptCompletion(
            llama, prompt, List.of(ChatTemplate.message("assistant", "5")));
    assertEquals(chosen.prompt(), rejected.prompt());
    assertEquals("4<|eot_id|>", chosen.completion());
    assertEquals("5<|eot_id|>", rejected.completion());
  }

  @Test
  void examplesThatCannotBeSplitAreRefused() throws IOException {
    ChatTemplate qwen = template("qwen2.5.jinja");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Conversations.lastAssistantTurn(qwen, DIALOGUE.subList(0, 4)));
    assertTrue(e.getMessage().contains("must end with an assistant message"), e.getMessage());
    ChatTemplate dropsHistory =
        ChatTemplate.of(
            "{% for m in messages %}{% if loop.last %}{{ m.role }}:{{ m.content }};{% endif %}"
                + "{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}",
            Map.of());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Conversations.lastAssistantTurn(dropsHistory, DIALOGUE));
    assertTrue(e.getMessage().contains("renders the prompt differently"), e.getMessage());
  }

  @Test
  void sftExamplesTrainOnTheAssistantTurn() throws IOException {
    ChatTemplate qwen = template("qwen2.5.jinja");
    try (Tokenizer tok = Tokenizer.load(Fixtures.path("hf/gpt2-tiny"))) {
      SftExample ex = SftExample.fromChat(tok, qwen, DIALOGUE);
      ChatTexts t = Conversations.lastAssistantTurn(qwen, DIALOGUE);
      assertArrayEquals(tok.encodePlain(t.prompt()), ex.prompt());
      assertArrayEquals(tok.encodePlain(t.completion()), ex.completion());
    }
  }
}
