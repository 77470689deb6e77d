package rlhf4j.policy.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.testing.Fixtures;

/** One data file's rows: one form per file, the chat template loaded lazily, file:line errors. */
class ChatRowsTest {
  private static final Path FILE = Path.of("data.jsonl");

  private static IllegalArgumentException fails(Runnable r) {
    return assertThrows(IllegalArgumentException.class, r::run);
  }

  @Test
  void theTemplateIsLoadedOnceAtTheFirstConversationalRow() {
    AtomicInteger loads = new AtomicInteger();
    ChatTemplate t = ChatTemplate.of("{{ messages[0].content }}", Map.of());
    ChatRows rows =
        new ChatRows(
            () -> {
              loads.incrementAndGet();
              return t;
            },
            ChatRows.defaultErrors(FILE));
    assertEquals(0, loads.get());
    assertSame(t, rows.conversational(1, "messages"));
    assertSame(t, rows.conversational(2, "messages"));
    assertEquals(1, loads.get());
  }

  @Test
  void aPlainFileNeedsNoTemplate() {
    ChatRows rows = ChatRows.of(FILE, null);
    rows.plain(1);
    rows.plain(3);
  }

  @Test
  void mixingPlainAndConversationalRowsNamesBothLines() {
    ChatRows rows = ChatRows.of(FILE, Fixtures.path("chat/tiny-chat"));
    rows.plain(2);
    IllegalArgumentException e = fails(() -> rows.conversational(5, "messages"));
    assertTrue(e.getMessage().startsWith("data.jsonl:5: field 'messages' "), e.getMessage());
    assertTrue(e.getMessage().contains("line 2 of this file is plain text"), e.getMessage());
    assertTrue(e.getMessage().contains("write every row in one form"), e.getMessage());

    ChatRows chatFirst = ChatRows.of(FILE, Fixtures.path("chat/tiny-chat"));
    chatFirst.conversational(1, "messages");
    e = fails(() -> chatFirst.plain(4));
    assertTrue(e.getMessage().startsWith("data.jsonl:4: is plain text"), e.getMessage());
    assertTrue(e.getMessage().contains("line 1 of this file is conversational"), e.getMessage());
  }

  @Test
  void aMissingTemplateIsReportedAtTheRowWithTheFix() {
    IllegalArgumentException e =
        fails(() -> ChatRows.of(FILE, Fixtures.path("hf/gpt2-tiny")).conversational(3, "prompt"));
    assertTrue(
        e.getMessage().startsWith("data.jsonl:3: field 'prompt' holds messages"), e.getMessage());
    assertTrue(e.getMessage().contains("has no chat_template"), e.getMessage());
    assertTrue(e.getMessage().contains("instruct model's folder"), e.getMessage());
    e = fails(() -> ChatRows.of(FILE, null).conversational(1, "messages"));
    assertTrue(e.getMessage().contains("no tokenizer folder was given"), e.getMessage());
  }

  @Test
  void messageListsAreChecked() {
    ChatRows rows = ChatRows.of(FILE, null);
    assertTrue(ChatRows.isMessages(List.of(Map.of("role", "user", "content", "hi"))));
    assertEquals(false, ChatRows.isMessages(List.of(1L, 2L)));
    assertEquals(false, ChatRows.isMessages(List.of()));
    assertEquals(false, ChatRows.isMessages("text"));
    IllegalArgumentException e = fails(() -> rows.messages(7, "chosen", List.of()));
    assertTrue(e.getMessage().startsWith("data.jsonl:7: field 'chosen' must be a non-empty list"));
    e = fails(() -> rows.messages(7, "chosen", List.of(Map.of("content", "no role"))));
    assertTrue(e.getMessage().contains("message 0 must be an object with a string \"role\""));
  }

  @Test
  void renderingErrorsAreReportedAtTheRow() {
    ChatRows rows = ChatRows.of(FILE, Fixtures.path("chat/tiny-chat"));
    ChatTemplate t = rows.conversational(9, "messages");
    IllegalArgumentException e =
        fails(
            () ->
                rows.render(
                    9,
                    "messages",
                    () ->
                        Conversations.lastAssistantTurn(
                            t, List.of(ChatTemplate.message("user", "hi")))));
    assertTrue(e.getMessage().startsWith("data.jsonl:9: field 'messages' cannot be rendered"));
    assertTrue(e.getMessage().contains("must end with an assistant message"), e.getMessage());
  }

  @Test
  void theTokenizerKnowsItsFolder() {
    Path dir = Fixtures.path("chat/tiny-chat");
    try (Tokenizer tok = Tokenizer.load(dir)) {
      assertEquals(dir, tok.dir());
      assertEquals(263, tok.eosId());
      String prompt =
          Conversations.prompt(
              ChatTemplate.fromModelDir(tok.dir()), List.of(ChatTemplate.message("user", "hi")));
      assertTrue(prompt.endsWith("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"));
      long[] ids = tok.encodePlain(prompt);
      assertEquals(262, ids[0]); // <|im_start|> is one special token
    }
  }
}
