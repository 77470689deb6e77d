package rlhf4j.cli;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import rlhf4j.distributed.SparkRolloutSource;
import rlhf4j.policy.chat.ChatRows;
import rlhf4j.policy.chat.ChatTemplate;
import rlhf4j.policy.io.AtomicFiles;
import rlhf4j.policy.io.SafeTensors;
import rlhf4j.policy.lora.LoraConfig;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.lora.ModelCard;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ValueHead;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.policy.train.DivergenceException;
import rlhf4j.policy.train.MetricsWriter;
import rlhf4j.policy.train.ProgressReporter;
import rlhf4j.ppo.JsonlStatsWriter;
import rlhf4j.ppo.PpoCheckpoint;
import rlhf4j.ppo.PpoConfig;
import rlhf4j.ppo.PpoTrainer;
import rlhf4j.reference.AdapterSwitchingReference;
import rlhf4j.reward.RewardException;
import rlhf4j.reward.RewardFunction;
import rlhf4j.reward.RewardFunctions;
import rlhf4j.rollout.GenerationConfig;
import rlhf4j.rollout.Generator;
import rlhf4j.rollout.sampling.SamplingConfig;

/**
 * {@code rlhf4j ppo --config FILE.yaml}: PPO with a LoRA adapter on a preset or an HF model,
 * writing metrics.jsonl, checkpoints and the final adapter (PEFT) with its value head (TRL names).
 */
@Command(
    name = "ppo",
    mixinStandardHelpOptions = true,
    description = {
      "Train a LoRA adapter with PPO (TRL classic) as a YAML file describes.",
      "Writes OUTPUT_DIR/metrics.jsonl (one JSON object per step, TRL's metric names),"
          + " OUTPUT_DIR/checkpoint-<step>/ (every trainer.save_steps steps and at the end)"
          + " and OUTPUT_DIR/final/ (adapter_config.json + adapter_model.safetensors in PEFT"
          + " format, value_head.safetensors with TRL's v_head.summary.* names).",
    })
public final class PpoCommand implements Callable<Integer> {
  /** Exit code of a run stopped by a NaN loss or a failing reward. */
  public static final int DIVERGED = ExitCodes.DIVERGED;

  static final String METRICS = "metrics.jsonl";
  static final String FINAL = "final";

  @Option(
      names = "--config",
      required = true,
      paramLabel = "FILE",
      description = "the run's YAML file (sections and keys below)")
  Path config;

  @Option(
      names = "--resume",
      description =
          "continue from the newest checkpoint in trainer.output_dir (exactly as if never stopped)")
  boolean resume;

  @Option(
      names = "--steps",
      paramLabel = "N",
      description = "override trainer.max_steps (the step count to reach)")
  Integer steps;

  @Option(names = "--output-dir", paramLabel = "DIR", description = "override trainer.output_dir")
  Path outputDir;

  @Option(
      names = "--spark-master",
      paramLabel = "URL",
      description =
          "run the rollouts (generation, reference log-probs, reward) on Spark: local[N], or"
              + " spark://HOST:PORT of a cluster started with `rlhf4j spark master|worker`;"
              + " executors read the base from model.dir (a preset is saved to"
              + " OUTPUT_DIR/base-model) and only the adapter and value head travel per step."
              + " Prompts are then seeded one by one, so the samples differ from a local run"
              + " (--resume refuses to switch)")
  String sparkMaster;

  private CommandSpec spec;

  /** Receives the command's spec; writes the YAML key reference into the help footer. */
  @Spec
  void setSpec(CommandSpec spec) {
    this.spec = spec;
    spec.usageMessage().footer(footer());
  }

  /** The YAML reference for --help, generated from {@link PpoRunConfig}'s records. */
  static String[] footer() {
    List<String> lines = new ArrayList<>();
    lines.add("");
    lines.add("YAML sections and keys (HF / TRL / PEFT names; unset keys keep their defaults):");
    Map<String, String> notes =
        Map.of(
            "model",
            "exactly one of preset / dir; seed seeds a preset's weights",
            "lora",
            "PEFT LoraConfig names; defaults r 8, lora_alpha 16, lora_dropout 0.05, the"
                + " family's target modules; seed: the adapter's initialisation",
            "trainer",
            "max_steps and output_dir are required; save_steps 0 = only at the end; the rest"
                + " are TRL's classic PPOConfig names and defaults (learning_rate 1.41e-5,"
                + " batch_size 128...)",
            "generation",
            "max_new_tokens default 32; eos_token_id default the model's",
            "data",
            "exactly one of ids (id lists), texts, path (.jsonl or one per line)",
            "reward",
            "name: length | keyword | regex | reward-model (options path, tokenizer, batch_size, base)"
                + " | remote (options url, auth_env, timeout_ms, max_retries, max_batch_size)"
                + " | a class name; options: a string map");
    PpoRunConfig.sections()
        .forEach(
            (section, keys) -> {
              lines.add("  " + section + ":  (" + notes.get(section) + ")");
              lines.add("      " + String.join(", ", keys));
            });
    lines.add("Relative paths are resolved against the working directory.");
    lines.add("Exit codes: 0 done, 2 bad config or files, 3 NaN loss or failing reward");
    lines.add("(the last checkpoint is intact: fix the cause and rerun with --resume),");
    lines.add("4 a file could not be read or written (the message names it).");
    return lines.toArray(new String[0]);
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    PpoRunConfig cfg = PpoRunConfig.read(config);
    int totalSteps = steps != null ? steps : cfg.run().maxSteps();
    if (totalSteps < 1) {
      throw new IllegalArgumentException("--steps must be >= 1, got " + totalSteps);
    }
    Path runDir = outputDir != null ? outputDir : cfg.run().outputDir();
    OutputFolders.prepare(runDir, outputDir != null ? "--output-dir" : "trainer.output_dir");
    try (RunLock lock = RunLock.acquire(runDir)) {
      return run(cfg, runDir, totalSteps, out, err);
    }
  }

  private int run(PpoRunConfig cfg, Path runDir, int totalSteps, PrintWriter out, PrintWriter err)
      throws Exception {
    RunFolders.recover(runDir);
    Optional<Path> latest = PpoCheckpoint.latest(runDir);
    if (resume && latest.isEmpty()) {
      throw new IllegalArgumentException(
          "--resume: " + runDir + " holds no checkpoint; run without --resume to start");
    }
    if (!resume && latest.isPresent()) {
      throw new IllegalArgumentException(
          runDir
              + " already holds "
              + latest.get().getFileName()
              + "; pass --resume to continue that run or choose another trainer.output_dir");
    }
    Path modelDir = cfg.model().dir() == null ? null : Path.of(cfg.model().dir());
    RunFingerprint fingerprint =
        RunFingerprint.of(
            modelDir,
            cfg.model().preset(),
            cfg.model().seed(),
            cfg.reward().name(),
            cfg.reward().options(),
            sparkMaster);
    RunFingerprint recorded = resume ? RunFingerprint.read(runDir) : null;
    if (recorded != null) {
      recorded.checkResume(fingerprint, runDir);
    }
    if (sparkMaster != null) {
      SparkRollouts.requireFp32Base(cfg.model());
    }
    PpoConfig ppoConfig = cfg.ppo();
    RewardFunction reward =
        sparkMaster != null // built and run by the executors: only the name is needed here
            ? SparkRollouts.onExecutors(cfg.reward().name())
            : RewardFunctions.load(cfg.reward().name(), cfg.reward().options());
    Files.createDirectories(runDir);
    Files.copy(config, runDir.resolve("run_config.yaml"), StandardCopyOption.REPLACE_EXISTING);
    fingerprint.write(runDir);
    String base = fingerprint.base();
    // a reward model or an HTTP client is released when the run ends
    try (AutoCloseable rewardResources = reward instanceof AutoCloseable c ? c : () -> {};
        CausalLM model = cfg.model().load();
        Tokenizer tokenizer =
            modelDir != null && Files.isRegularFile(modelDir.resolve("tokenizer.json"))
                ? Tokenizer.load(modelDir)
                : null;
        LoraModel policy = LoraModel.inject(model, withBase(cfg.lora(), base), cfg.loraSeed());
        NDManager manager = NDManager.newBaseManager();
        ValueHead head = ValueHead.create(manager, model.config().hiddenSize(), true, 0)) {
      List<long[]> prompts = prompts(cfg.prompts(), tokenizer, model.config().vocabSize());
      GenerationConfig generation = generation(cfg.generation(), ppoConfig, model, tokenizer);
      Path metricsFile = runDir.resolve(METRICS);
      ProgressReporter progress = new ProgressReporter(System.err, "ppo", totalSteps, false);
      try (SparkRolloutSource spark =
              sparkMaster == null
                  ? null
                  : SparkRollouts.open(
                      sparkMaster,
                      modelDir,
                      model,
                      runDir,
                      policy,
                      head,
                      generation,
                      cfg.reward().name(),
                      cfg.reward().options(),
                      ppoConfig.seed());
          JsonlStatsWriter metrics =
              new JsonlStatsWriter(
                  resume
                      ? MetricsWriter.resume(metricsFile, PpoCheckpoint.stepOf(latest.get()))
                      : MetricsWriter.create(metricsFile))) {
        PpoTrainer trainer =
            PpoTrainer.builder()
                .model(model)
                .trainable(policy.trainableParameters())
                .valueHead(head)
                .reference(new AdapterSwitchingReference(policy))
                .config(ppoConfig)
                .generation(generation)
                .rolloutSource(spark) // null: the local generator
                .gradientCheckpointing(cfg.run().gradientCheckpointing())
                .tokenizer(tokenizer)
                .padId(generation.padTokenId())
                .listener(metrics)
                .listener(
                    (step, stats) ->
                        out.println(
                            progress.line(
                                step,
                                String.format(
                                    Locale.ROOT,
                                    "reward %.4f  kl %.4f  kl_coef %.4f  loss %.4f  %.1f s",
                                    stats.get("objective/scores"),
                                    stats.get("objective/kl"),
                                    stats.get("objective/kl_coef"),
                                    stats.getOrDefault("ppo/loss/total", Double.NaN),
                                    stats.get("time/ppo/total")
                                        + stats.get("time/ppo/rollout")
                                        + stats.get("time/ppo/reward")))))
                .build();
        try {
          if (resume) {
            PpoCheckpoint.restore(trainer, latest.get());
            out.printf("resumed from %s (step %d)%n", latest.get(), trainer.stepCount());
          }
          int every = cfg.run().saveSteps();
          int keepLast = cfg.run().saveTotalLimit();
          PpoTrainer.StepCallback checkpoints =
              every > 0 ? PpoCheckpoint.every(every, policy::save, runDir, keepLast) : null;
          try {
            trainer.train(prompts, reward, totalSteps, checkpoints);
          } catch (RewardException | DivergenceException e) {
            Optional<Path> last = PpoCheckpoint.latest(runDir);
            err.println(
                "rlhf4j ppo: stopped at step "
                    + (trainer.stepCount() + 1)
                    + ": "
                    + e.getMessage()
                    + (last.isPresent()
                        ? "; " + last.get() + " is intact: fix the cause and rerun with --resume"
                        : "; no checkpoint was written (set trainer.save_steps)"));
            err.flush();
            return DIVERGED;
          }
          Optional<Path> last = PpoCheckpoint.latest(runDir);
          if (last.isEmpty() || PpoCheckpoint.stepOf(last.get()) != trainer.stepCount()) {
            PpoCheckpoint.save(trainer, policy::save, runDir);
            if (keepLast > 0) {
              PpoCheckpoint.keepLast(runDir, keepLast);
            }
          }
          Path finalDir = writeFinal(runDir, policy, head);
          ModelCard.write(
              finalDir,
              base,
              "PPO, " + trainer.stepCount() + " steps, reward " + fingerprint.reward(),
              policy.config(LoraModel.DEFAULT_ADAPTER),
              rlhf4j.cli.config.VersionProvider.version());
          out.printf(
              "done: %d steps; adapter and value head in %s, metrics in %s%n",
              trainer.stepCount(), finalDir, metricsFile);
          if (spark != null) {
            out.println(SparkRollouts.summary(spark));
          }
        } finally {
          trainer.optimizer().close();
        }
      }
    }
    out.flush();
    return 0;
  }

  /**
   * {@code lora} with {@code base_model_name_or_path} set to {@code base} unless the YAML set it.
   */
  static LoraConfig withBase(LoraConfig lora, String base) {
    return lora.baseModelNameOrPath() != null
        ? lora
        : lora.toBuilder().baseModelNameOrPath(base).build();
  }

  /** The final adapter (PEFT) and value head (TRL names), written via a temporary folder. */
  static Path writeFinal(Path runDir, LoraModel policy, ValueHead head) throws IOException {
    Path target = runDir.resolve(FINAL);
    AtomicFiles.writeFolder(
        target,
        tmp -> {
          policy.save(tmp);
          SafeTensors.write(tmp.resolve(PpoCheckpoint.VALUE_HEAD), head.parameters(), Map.of());
        });
    return target;
  }

  static GenerationConfig generation(
      PpoRunConfig.Generation g, PpoConfig ppo, CausalLM model, Tokenizer tokenizer) {
    return generation(g, ppo.temperature(), model, tokenizer);
  }

  /**
   * The EOS id the trainers end completions with: the tokenizer's {@code eos_token} when there is a
   * tokenizer, as TRL's trainers take {@code processing_class.eos_token_id} (for Llama 3.x Instruct
   * that is {@code <|eot_id|>}, where config.json lists {@code <|end_of_text|>} first), else the
   * model's, else none (-1).
   */
  static long trainingEos(CausalLM model, Tokenizer tokenizer) {
    if (tokenizer != null && tokenizer.eosId() >= 0) {
      return tokenizer.eosId();
    }
    return model.config().eosTokenId();
  }

  /** Rollout settings at the trainer's sampling {@code temperature}. */
  static GenerationConfig generation(
      PpoRunConfig.Generation g, double temperature, CausalLM model, Tokenizer tokenizer) {
    long eos = g.eosTokenId() != null ? g.eosTokenId() : trainingEos(model, tokenizer);
    if (eos >= model.config().vocabSize()) {
      String outside = " is outside the model's vocabulary [0, " + model.config().vocabSize() + ")";
      throw new IllegalArgumentException(
          g.eosTokenId() != null
              ? "generation.eos_token_id " + eos + outside
              : "the tokenizer's eos_token (id "
                  + eos
                  + ")"
                  + outside
                  + ": the tokenizer does not fit this model; use the model's own tokenizer or set"
                  + " generation.eos_token_id");
    }
    long pad = eos >= 0 ? eos : tokenizer != null && tokenizer.padId() >= 0 ? tokenizer.padId() : 0;
    SamplingConfig.Builder s = SamplingConfig.builder().temperature(temperature);
    if (g.topK() != null) {
      s.topK(g.topK());
    }
    if (g.topP() != null) {
      s.topP(g.topP());
    }
    return GenerationConfig.builder()
        .maxNewTokens(g.maxNewTokens() == null ? 32 : g.maxNewTokens())
        .eosTokenId(eos)
        .padTokenId(pad)
        .sampling(s.build())
        .build();
  }

  /** Prompt token ids from the config's ids, texts or file. */
  static List<long[]> prompts(PpoRunConfig.Prompts p, Tokenizer tokenizer, int vocabSize)
      throws IOException {
    List<long[]> out = new ArrayList<>();
    if (p.ids() != null) {
      for (int i = 0; i < p.ids().size(); i++) {
        List<Long> row = p.ids().get(i);
        if (row == null || row.isEmpty()) {
          throw new IllegalArgumentException("data.ids[" + i + "] is empty");
        }
        out.add(row.stream().mapToLong(Long::longValue).toArray());
      }
    } else if (p.texts() != null) {
      for (String t : p.texts()) {
        out.add(encode(t, tokenizer, "data.texts"));
      }
    } else {
      Path file = Path.of(p.path());
      if (!Files.isRegularFile(file)) {
        throw new IllegalArgumentException("data.path " + file + " does not exist");
      }
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      boolean jsonl = file.getFileName().toString().endsWith(".jsonl");
      ChatRows rows = ChatRows.of(file, tokenizer == null ? null : tokenizer.dir());
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i).strip();
        if (line.isEmpty()) {
          continue;
        }
        String where = file + " line " + (i + 1);
        out.add(
            jsonl
                ? jsonPrompt(line, tokenizer, where, rows, i + 1)
                : encode(line, tokenizer, where));
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("data: no prompts given");
    }
    Generator.checkTokenIds(out, vocabSize);
    return out;
  }

  /**
   * One JSONL prompt: an id array, a string, an object with "ids" or "prompt", or (conversational)
   * a prompt that is a list of messages, rendered with the chat template ({@link ChatPrompts}).
   */
  private static long[] jsonPrompt(
      String line, Tokenizer tokenizer, String where, ChatRows rows, int lineNo) {
    JsonElement e;
    try {
      e = JsonParser.parseString(line);
    } catch (JsonParseException ex) {
      throw new IllegalArgumentException(where + ": not JSON: " + ex.getMessage());
    }
    if (e.isJsonObject()) {
      JsonObject o = e.getAsJsonObject();
      if (o.has("ids")) {
        e = o.get("ids");
      } else if (o.has("prompt")) {
        e = o.get("prompt");
      } else {
        throw new IllegalArgumentException(where + ": an object needs \"ids\" or \"prompt\"");
      }
    }
    if (ChatRows.isMessages(ChatTemplate.fromJson(e))) {
      return ChatPrompts.row(rows, lineNo, "prompt", ChatTemplate.fromJson(e), tokenizer);
    }
    rows.plain(lineNo);
    if (e.isJsonArray()) {
      long[] ids = new long[e.getAsJsonArray().size()];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = e.getAsJsonArray().get(i).getAsLong();
      }
      if (ids.length == 0) {
        throw new IllegalArgumentException(where + ": empty id list");
      }
      return ids;
    }
    if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()) {
      return encode(e.getAsString(), tokenizer, where);
    }
    throw new IllegalArgumentException(where + ": expected an id array, a string or an object");
  }

  private static long[] encode(String text, Tokenizer tokenizer, String where) {
    if (tokenizer == null) {
      throw new IllegalArgumentException(
          where
              + ": text prompts need a tokenizer: set model.dir to a folder with tokenizer.json,"
              + " or give token ids");
    }
    long[] ids = tokenizer.encode(text);
    if (ids.length == 0) {
      throw new IllegalArgumentException(where + ": the prompt encodes to no tokens");
    }
    return ids;
  }
}
