package rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.policy.chat.ChatTemplate;
import rlhf4j.policy.chat.ChatTexts;
import rlhf4j.policy.chat.Conversations;
import rlhf4j.policy.sft.SftExample;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.testing.Fixtures;

/**
 * The cli's data readers on conversational rows, rendered with the chat template of a tiny
 * tokenizer folder ({@code fixtures/chat/tiny-chat}, Qwen2.5's template): SFT JSONL, prompt files
 * for ppo/grpo/rloo and {@code generate --chat}.
 */
class ChatDataTest {
  private static final Path CHAT = Fixtures.path("chat/tiny-chat");
  private static final String USER = "{\"role\": \"user\", \"content\": \"2+2?\"}";
  private static final String ASSISTANT = "{\"role\": \"assistant\", \"content\": \"4\"}";
  private static final List<Map<String, Object>> DIALOGUE =
      List.of(ChatTemplate.message("user", "2+2?"), ChatTemplate.message("assistant", "4"));

  @TempDir Path tmp;

  private Path write(String name, String... lines) throws IOException {
    Path f = tmp.resolve(name);
    Files.writeString(f, String.join("\n", lines) + "\n");
    return f;
  }

  @Test
  void sftMessagesTrainOnTheFinalAssistantTurn() throws IOException {
    Path f =
        write(
            "sft.jsonl",
            "{\"messages\": [" + USER + ", " + ASSISTANT + "]}",
            "",
            "{\"prompt\": [" + USER + "], \"completion\": [" + ASSISTANT + "]}");
    try (Tokenizer tok = Tokenizer.load(CHAT)) {
      List<SftExample> examples = SftData.read(f, tok, CHAT);
      ChatTemplate template = ChatTemplate.fromModelDir(CHAT);
      SftExample expected = SftExample.fromChat(tok, template, DIALOGUE);
      assertEquals(List.of(expected, expected), examples);
      // the completion (the only targets with completion_only_loss) is the assistant's turn
      assertArrayEquals(tok.encodePlain("4<|im_end|>\n"), expected.completion());
      assertEquals(262, expected.prompt()[0]); // <|im_start|>, no EOS appended by the reader
    }
  }

  @Test
  void sftFilesOfOneFormOnly() throws IOException {
    Path mixed =
        write(
            "mixed.jsonl",
            "{\"text\": \"the plot\"}",
            "{\"messages\": [" + USER + ", " + ASSISTANT + "]}");
    try (Tokenizer tok = Tokenizer.load(CHAT)) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> SftData.read(mixed, tok, CHAT));
      assertTrue(
          e.getMessage().startsWith(mixed + ":2: field 'messages' holds messages"), e.getMessage());
      assertTrue(e.getMessage().contains("line 1 of this file is plain text"), e.getMessage());
      // plain rows of both plain kinds still mix freely
      Path plain =
          write("plain.jsonl", "{\"text\": \"a\"}", "{\"prompt\": \"b\", \"completion\": \"c\"}");
      assertEquals(2, SftData.read(plain, tok, CHAT).size());
      Path ended = write("ended.jsonl", "{\"messages\": [" + USER + "]}");
      e = assertThrows(IllegalArgumentException.class, () -> SftData.read(ended, tok, CHAT));
      assertTrue(e.getMessage().startsWith(ended + ":1: field 'messages' cannot be rendered"));
      assertTrue(e.getMessage().contains("must end with an assistant message"), e.getMessage());
    }
  }

  @Test
  void sftLinesMustBeStrictJsonObjects() throws IOException {
    try (Tokenizer tok = Tokenizer.load(CHAT)) {
      for (String bad :
          List.of(
              "{'text': 'single quotes'}",
              "{\"text\": \"a\"} {\"text\": \"b\"}",
              "{\"text\": NaN}",
              "{text: \"unquoted name\"}")) {
        Path f = write("bad.jsonl", "{\"text\": \"fine\"}", bad);
        IllegalArgumentException e =
            assertThrows(IllegalArgumentException.class, () -> SftData.read(f, tok, CHAT));
        assertTrue(e.getMessage().startsWith(f + " line 2: not valid JSON: "), e.getMessage());
        assertFalse(e.getMessage().contains("Troubleshooting"), e.getMessage());
      }
      Path f = write("array.jsonl", "[\"text\"]");
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> SftData.read(f, tok, CHAT));
      assertEquals(f + " line 1: expected a JSON object", e.getMessage());
      Path n = write("number.jsonl", "{\"prompt\": \"a\", \"completion\": 4}");
      e = assertThrows(IllegalArgumentException.class, () -> SftData.read(n, tok, CHAT));
      assertEquals(n + " line 1: \"completion\" must be a string", e.getMessage());
    }
  }

  @Test
  void sftConversationsWithoutAChatTemplateNameTheLineAndTheFix() throws IOException {
    Path gpt2 = Fixtures.path("hf/gpt2-tiny");
    Path f = write("sft.jsonl", "{\"messages\": [" + USER + ", " + ASSISTANT + "]}");
    try (Tokenizer tok = Tokenizer.load(gpt2)) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> SftData.read(f, tok, gpt2));
      assertTrue(e.getMessage().startsWith(f + ":1: field 'messages' holds messages"));
      assertTrue(e.getMessage().contains("has no chat_template"), e.getMessage());
    }
  }

  @Test
  void promptFilesRenderMessagesWithTheGenerationPrompt() throws IOException {
    Path f =
        write(
            "prompts.jsonl",
            "{\"prompt\": [" + USER + "]}",
            "{\"prompt\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, " + USER + "]}");
    try (Tokenizer tok = Tokenizer.load(CHAT)) {
      List<long[]> prompts =
          PpoCommand.prompts(new PpoRunConfig.Prompts(null, null, f.toString()), tok, 512);
      ChatTemplate template = ChatTemplate.fromModelDir(CHAT);
      ChatTexts texts =
          Conversations.promptCompletion(template, DIALOGUE.subList(0, 1), DIALOGUE.subList(1, 2));
      assertArrayEquals(tok.encodePlain(texts.prompt()), prompts.get(0));
      String second = tok.decode(prompts.get(1), false);
      assertTrue(second.startsWith("<|im_start|>system\nBe brief.<|im_end|>\n"), second);
      assertTrue(second.endsWith("<|im_start|>assistant\n"), second);

      Path mixed = write("mixed.jsonl", "\"plain\"", "{\"prompt\": [" + USER + "]}");
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  PpoCommand.prompts(
                      new PpoRunConfig.Prompts(null, null, mixed.toString()), tok, 512));
      assertTrue(e.getMessage().startsWith(mixed + ":2: field 'prompt' holds messages"));
      Path noUser = write("assistant.jsonl", "{\"prompt\": [" + ASSISTANT + "]}");
      e =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  PpoCommand.prompts(
                      new PpoRunConfig.Prompts(null, null, noUser.toString()), tok, 512));
      assertTrue(e.getMessage().contains("must end with a user message"), e.getMessage());
    }
  }

  @Test
  void promptFilesWithoutATokenizerRefuseMessages() throws IOException {
    Path f = write("prompts.jsonl", "{\"prompt\": [" + USER + "]}");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                PpoCommand.prompts(new PpoRunConfig.Prompts(null, null, f.toString()), null, 512));
    assertTrue(e.getMessage().startsWith(f + ":1: field 'prompt' holds messages"));
    assertTrue(e.getMessage().contains("no tokenizer folder was given"), e.getMessage());
  }

  @Test
  void generateChatRendersTheUserMessage() throws IOException {
    try (Tokenizer tok = Tokenizer.load(CHAT)) {
      ChatTemplate template = ChatTemplate.fromModelDir(CHAT);
      assertArrayEquals(
          tok.encodePlain(template.render(List.of(ChatTemplate.message("user", "2+2?")), true)),
          ChatPrompts.user(template, tok, "2+2?"));
    }
    String[] args = {
      "generate",
      "--preset",
      "nano",
      "--tokenizer",
      CHAT.toString(),
      "--prompt",
      "2+2?",
      "--chat",
      "--max-new-tokens",
      "4",
      "--temperature",
      "0"
    };
    CliRun.Result r = CliRun.run(args);
    assertEquals(0, r.code(), r.err());
    assertFalse(r.out().startsWith("2+2?"), r.out()); // only the reply is printed
    assertEquals(r.out(), CliRun.run(args).out());

    CliRun.Result none =
        CliRun.run(
            "generate",
            "--model",
            Fixtures.path("hf/gpt2-tiny").toString(),
            "--prompt",
            "hi",
            "--chat");
    assertTrue(none.code() != 0);
    assertTrue(none.err().contains("has no chat_template"), none.err());
  }

  private static String slash(Path p) {
    return p.toAbsolutePath().toString().replace("\\", "/");
  }

  @Test
  void sftDpoAndGrpoRunOnConversationalData() throws IOException {
    String chosen = "{\"role\": \"assistant\", \"content\": \"yes\"}";
    String rejected = "{\"role\": \"assistant\", \"content\": \"no\"}";
    StringBuilder pairs = new StringBuilder();
    StringBuilder sft = new StringBuilder();
    StringBuilder prompts = new StringBuilder();
    for (int i = 0; i < 4; i++) {
      String user = "{\"role\": \"user\", \"content\": \"question " + i + "?\"}";
      pairs.append(
          "{\"prompt\": ["
              + user
              + "], \"chosen\": ["
              + chosen
              + "], \"rejected\": ["
              + rejected
              + "]}\n");
      sft.append("{\"messages\": [" + user + ", " + chosen + "]}\n");
      prompts.append("{\"prompt\": [" + user + "]}\n");
    }
    Path pairsFile = write("pairs.jsonl", pairs.toString());
    Path dpoRun = tmp.resolve("dpo");
    String dpo =
        """
        model:
          preset: nano
          tokenizer: %s
        trainer:
          max_steps: 1
          output_dir: %s
          batch_size: 4
          mini_batch_size: 4
          learning_rate: 1.0e-3
        data:
          path: %s
        """
            .formatted(slash(CHAT), slash(dpoRun), slash(pairsFile));
    CliRun.Result r = CliRun.run("dpo", "--config", write("dpo.yaml", dpo).toString());
    assertEquals(0, r.code(), r.err());
    assertEquals(1, Files.readAllLines(dpoRun.resolve("metrics.jsonl")).size());

    Path grpoRun = tmp.resolve("grpo");
    String grpo =
        PolicyCommandsTest.nanoGrpoYaml(grpoRun, 1)
            .replace("  preset: nano\n", "  preset: nano\n  tokenizer: " + slash(CHAT) + "\n")
            .replaceAll(
                "  ids: .*\n",
                "  path: " + slash(write("prompts.jsonl", prompts.toString())) + "\n");
    assertTrue(grpo.contains("  path: ") && !grpo.contains("ids:"), grpo);
    r = CliRun.run("grpo", "--config", write("grpo.yaml", grpo).toString());
    assertEquals(0, r.code(), r.err());
    assertEquals(1, Files.readAllLines(grpoRun.resolve("metrics.jsonl")).size());

    Path sftOut = tmp.resolve("sft-out");
    String sftYaml =
        """
        model:
          preset: nano
          tokenizer: %s
          vocab_from_tokenizer: true
        data:
          path: %s
        trainer:
          output_dir: %s
          max_steps: 2
          per_device_train_batch_size: 2
        """
            .formatted(slash(CHAT), slash(write("sft.jsonl", sft.toString())), slash(sftOut));
    r = CliRun.run("sft", "--config", write("sft.yaml", sftYaml).toString());
    assertEquals(0, r.code(), r.err());
    // the saved folder keeps the chat template
    assertEquals(
        ChatTemplate.fromModelDir(CHAT).source(), ChatTemplate.fromModelDir(sftOut).source());
  }
}
