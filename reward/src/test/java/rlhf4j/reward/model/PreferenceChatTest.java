package rlhf4j.reward.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.policy.chat.ChatTemplate;
import rlhf4j.policy.chat.ChatTexts;
import rlhf4j.policy.chat.Conversations;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.testing.Fixtures;

/** Conversational preference rows rendered with the tokenizer folder's chat template. */
class PreferenceChatTest {
  private static final Path CHAT = Fixtures.path("chat/tiny-chat");
  private static final String USER = "{\"role\": \"user\", \"content\": \"2+2?\"}";
  private static final String FOUR = "{\"role\": \"assistant\", \"content\": \"4\"}";
  private static final String FIVE = "{\"role\": \"assistant\", \"content\": \"5\"}";

  @TempDir Path dir;

  private Path write(String... lines) throws IOException {
    Path f = dir.resolve("prefs.jsonl");
    Files.writeString(f, String.join("\n", lines) + "\n");
    return f;
  }

  private static String row(String prompt, String chosen, String rejected) {
    return (prompt == null ? "{" : "{\"prompt\": [" + prompt + "], ")
        + "\"chosen\": ["
        + chosen
        + "], \"rejected\": ["
        + rejected
        + "]}";
  }

  @Test
  void conversationalPairsAreRenderedAsTrlRendersThem() throws IOException {
    ChatTemplate template = ChatTemplate.fromModelDir(CHAT);
    List<java.util.Map<String, Object>> prompt = List.of(ChatTemplate.message("user", "2+2?"));
    ChatTexts chosen =
        Conversations.promptCompletion(
            template, prompt, List.of(ChatTemplate.message("assistant", "4")));
    Path f =
        write(
            row(USER, FOUR, FIVE),
            "",
            // implicit prompt: the shared leading messages
            "{\"chosen\": ["
                + USER
                + ", "
                + FOUR
                + "], \"rejected\": ["
                + USER
                + ", "
                + FIVE
                + "],"
                + " \"margin\": 2}");
    List<PreferencePair> pairs = PreferenceData.read(f, CHAT);
    PreferencePair expected =
        new PreferencePair(chosen.prompt(), "4<|im_end|>\n", "5<|im_end|>\n", 0, true);
    assertEquals(expected, pairs.get(0));
    assertTrue(pairs.get(0).prompt().endsWith("<|im_start|>assistant\n"), pairs.get(0).prompt());
    assertEquals(
        new PreferencePair(chosen.prompt(), "4<|im_end|>\n", "5<|im_end|>\n", 2, true),
        pairs.get(1));
  }

  @Test
  void chatPairsAreEncodedWithoutTheTokenizersTemplateTokens() throws IOException {
    List<PreferencePair> pairs = PreferenceData.read(write(row(USER, FOUR, FIVE)), CHAT);
    try (Tokenizer tok = Tokenizer.load(CHAT)) {
      PreferenceData.Tokenized t =
          PreferenceData.tokenize(
              pairs,
              (p, c) -> {
                throw new AssertionError("plain encoder used for a chat pair");
              },
              (p, c) -> tok.encodePlain(p + c),
              512);
      PreferencePair p = pairs.get(0);
      assertArrayEquals(tok.encodePlain(p.prompt() + p.chosen()), t.pairs().get(0).chosenIds());
      assertArrayEquals(tok.encodePlain(p.prompt() + p.rejected()), t.pairs().get(0).rejectedIds());
      assertEquals(263, t.pairs().get(0).chosenIds()[t.pairs().get(0).chosenIds().length - 2]);
    }
  }

  @Test
  void aFileMixingPlainAndConversationalRowsIsRefusedAtTheRow() throws IOException {
    Path f = write("{\"chosen\": \"a\", \"rejected\": \"b\"}", row(USER, FOUR, FIVE));
    PreferenceDataException e =
        assertThrows(PreferenceDataException.class, () -> PreferenceData.read(f, CHAT));
    assertEquals(2, e.line());
    assertTrue(e.getMessage().startsWith(f + ":2: field 'prompt' holds messages"), e.getMessage());
    assertTrue(e.getMessage().contains("line 1 of this file is plain text"), e.getMessage());
  }

  @Test
  void conversationalRowsWithoutAChatTemplateNameTheRowAndTheFix() throws IOException {
    Path f = write(row(USER, FOUR, FIVE));
    PreferenceDataException e =
        assertThrows(
            PreferenceDataException.class,
            () -> PreferenceData.read(f, Fixtures.path("hf/gpt2-tiny")));
    assertEquals(1, e.line());
    assertTrue(e.getMessage().contains("has no chat_template"), e.getMessage());
    assertTrue(e.getMessage().contains("instruct model's folder"), e.getMessage());
    // the one-argument reader has no tokenizer folder at all
    e = assertThrows(PreferenceDataException.class, () -> PreferenceData.read(f));
    assertTrue(e.getMessage().contains("no tokenizer folder was given"), e.getMessage());
  }

  @Test
  void malformedConversationalRowsNameTheField() throws IOException {
    Path f =
        write(row(USER, FOUR, FIVE).replace("\"rejected\": [" + FIVE + "]", "\"rejected\": \"5\""));
    PreferenceDataException e =
        assertThrows(PreferenceDataException.class, () -> PreferenceData.read(f, CHAT));
    assertEquals("rejected", e.field());
    assertTrue(e.getMessage().contains("must be a list of messages"), e.getMessage());
    Path g = write(row(null, FOUR, FIVE));
    e = assertThrows(PreferenceDataException.class, () -> PreferenceData.read(g, CHAT));
    assertEquals("prompt", e.field());
    assertTrue(e.getMessage().contains("share no leading messages"), e.getMessage());
    Path h = write(row(FOUR, FOUR, FIVE));
    e = assertThrows(PreferenceDataException.class, () -> PreferenceData.read(h, CHAT));
    assertEquals("chosen", e.field());
    assertTrue(e.getMessage().contains("must end with a user message"), e.getMessage());
  }
}
