package rlhf4j.cli;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import rlhf4j.policy.chat.ChatTemplate;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ModelConfig;
import rlhf4j.policy.model.PositionKind;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.rollout.GenerationConfig;
import rlhf4j.rollout.Generator;
import rlhf4j.rollout.Rollout;
import rlhf4j.rollout.sampling.SamplingConfig;

/** {@code rlhf4j generate}: sample continuations, streaming a single prompt to stdout. */
@Command(
    name = "generate",
    mixinStandardHelpOptions = true,
    description =
        "Generate text from a model (and optional LoRA adapter); a single prompt streams.")
public final class GenerateCommand implements Callable<Integer> {
  @Mixin ModelOptions model;

  @Option(
      names = "--tokenizer",
      paramLabel = "DIR",
      description = "tokenizer folder (default: --model)")
  Path tokenizerDir;

  @Option(names = "--adapter", paramLabel = "DIR", description = "PEFT LoRA adapter folder")
  Path adapter;

  @Option(
      names = "--chat",
      description =
          "treat each prompt as a user message: render it with the tokenizer folder's chat"
              + " template and generation prompt, and print only the reply")
  boolean chat;

  static final class Prompts {
    @Option(names = "--prompt", paramLabel = "TEXT", description = "one prompt")
    String prompt;

    @Option(
        names = "--prompts",
        paramLabel = "FILE",
        description = "a file with one prompt per line")
    Path file;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Prompts prompts;

  /** New tokens when --max-new-tokens is not given (fewer where the model's positions end). */
  static final int DEFAULT_MAX_NEW_TOKENS = 64;

  @Option(
      names = "--max-new-tokens",
      paramLabel = "N",
      description =
          "default: 64, or fewer where a model with learned positions (GPT-2) has no room left")
  Integer maxNewTokens;

  @Option(
      names = "--temperature",
      defaultValue = "1.0",
      description = "0 = greedy (default: ${DEFAULT-VALUE})")
  double temperature;

  @Option(
      names = "--top-k",
      defaultValue = "0",
      description = "0 = off (default: ${DEFAULT-VALUE})")
  int topK;

  @Option(
      names = "--top-p",
      defaultValue = "1.0",
      description = "1 = off (default: ${DEFAULT-VALUE})")
  double topP;

  @Option(
      names = "--seed",
      defaultValue = "0",
      description = "sampling seed (default: ${DEFAULT-VALUE})")
  long samplingSeed;

  @Option(
      names = "--num-return-sequences",
      defaultValue = "1",
      description = "samples per prompt (default: ${DEFAULT-VALUE})")
  int numReturn;

  @Override
  public Integer call() throws Exception {
    Path tokDir = tokenizerDir != null ? tokenizerDir : model.dir();
    if (tokDir == null) {
      throw new IllegalArgumentException("a --preset model needs --tokenizer DIR");
    }
    List<String> texts = new ArrayList<>();
    if (prompts.prompt != null) {
      texts.add(prompts.prompt);
    } else {
      for (String line : Files.readAllLines(prompts.file, StandardCharsets.UTF_8)) {
        if (!line.isBlank()) {
          texts.add(line);
        }
      }
      if (texts.isEmpty()) {
        throw new IllegalArgumentException(prompts.file + " has no prompts (one per line)");
      }
    }
    if (numReturn < 1) {
      throw new IllegalArgumentException("--num-return-sequences must be >= 1, got " + numReturn);
    }
    ChatTemplate template = chat ? ChatTemplate.fromModelDir(tokDir) : null;
    try (CausalLM lm = model.load();
        LoraModel lora = adapter == null ? null : LoraModel.load(lm, adapter);
        Tokenizer tok = Tokenizer.load(tokDir)) {
      List<long[]> ids = new ArrayList<>();
      List<String> owners = new ArrayList<>();
      int longest = 0;
      for (String t : texts) {
        long[] encoded = chat ? ChatPrompts.user(template, tok, t) : tok.encode(t);
        longest = Math.max(longest, encoded.length);
        for (int k = 0; k < numReturn; k++) {
          ids.add(encoded);
          owners.add(chat ? "" : t); // with --chat only the reply is printed
        }
      }
      int newTokens = newTokens(maxNewTokens, longest, lm.config(), System.err);
      long eos = tok.eosId() >= 0 ? tok.eosId() : lm.config().eosTokenId();
      long pad = tok.padId() >= 0 ? tok.padId() : Math.max(0, eos);
      GenerationConfig cfg =
          GenerationConfig.builder()
              .maxNewTokens(newTokens)
              .eosTokenId(eos)
              .padTokenId(pad)
              .sampling(
                  SamplingConfig.builder()
                      .temperature(temperature)
                      .topK(topK)
                      .topP(topP)
                      .seed(samplingSeed)
                      .build())
              .build();
      Generator gen = new Generator(lm, cfg, null, tok, List.of());
      PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
      if (ids.size() == 1) {
        out.print(owners.get(0));
        Streamer streamer = new Streamer(tok, out);
        gen.generate(ids, (row, id) -> streamer.accept(id));
        out.println();
        return 0;
      }
      Rollout r = gen.generate(ids);
      for (int i = 0; i < r.size(); i++) {
        out.println(owners.get(i) + r.texts().get(i));
      }
    }
    return 0;
  }

  /**
   * The number of new tokens to sample: {@code requested}, or by default {@value
   * #DEFAULT_MAX_NEW_TOKENS} capped (with a note) to the positions a learned-position model has
   * left after the longest prompt.
   *
   * @throws IllegalArgumentException when the prompt leaves no room, or {@code requested} does not
   *     fit, before anything is printed
   */
  static int newTokens(Integer requested, int promptLength, ModelConfig config, PrintStream note) {
    if (requested != null && requested < 1) {
      throw new IllegalArgumentException("--max-new-tokens must be >= 1, got " + requested);
    }
    if (config.positionKind() != PositionKind.LEARNED) {
      return requested != null ? requested : DEFAULT_MAX_NEW_TOKENS;
    }
    int room = config.maxPositions() - promptLength;
    if (room < 1) {
      throw new IllegalArgumentException(
          "the prompt has "
              + promptLength
              + " tokens and the model has "
              + config.maxPositions()
              + " positions: no room for new tokens; shorten the prompt");
    }
    if (requested != null) {
      if (requested > room) {
        throw new IllegalArgumentException(
            "--max-new-tokens "
                + requested
                + " does not fit: the model has "
                + config.maxPositions()
                + " positions and the prompt takes "
                + promptLength
                + "; use --max-new-tokens "
                + room
                + " or less");
      }
      return requested;
    }
    if (room < DEFAULT_MAX_NEW_TOKENS) {
      note.println(
          "rlhf4j generate: generating up to "
              + room
              + " new tokens (the model's "
              + config.maxPositions()
              + " positions less the prompt's "
              + promptLength
              + ")");
      return room;
    }
    return DEFAULT_MAX_NEW_TOKENS;
  }

  /**
   * Prints decoded text as tokens arrive, holding back a tail that ends in an incomplete UTF-8
   * sequence (decoded as U+FFFD) until the next token completes it.
   */
  static final class Streamer {
    private final Tokenizer tok;
    private final PrintStream out;
    private final List<Long> ids = new ArrayList<>();
    private int printed;

    Streamer(Tokenizer tok, PrintStream out) {
      this.tok = tok;
      this.out = out;
    }

    void accept(long id) {
      if (id == tok.eosId()) {
        return;
      }
      ids.add(id);
      String text = tok.decode(ids.stream().mapToLong(Long::longValue).toArray(), true);
      if (text.endsWith("\uFFFD")) {
        return; // wait for the rest of a multi-byte character
      }
      if (text.length() > printed) {
        out.print(text.substring(printed));
        printed = text.length();
      }
    }
  }
}
