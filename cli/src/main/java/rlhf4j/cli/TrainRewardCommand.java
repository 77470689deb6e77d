package rlhf4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import rlhf4j.policy.family.Presets;
import rlhf4j.policy.quant.QuantConfig;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.policy.train.MetricsWriter;
import rlhf4j.policy.train.ProgressReporter;
import rlhf4j.reward.model.PreferenceData;
import rlhf4j.reward.model.PreferencePair;
import rlhf4j.reward.model.RewardLora;
import rlhf4j.reward.model.RewardModel;
import rlhf4j.reward.model.RewardTrainer;
import rlhf4j.reward.model.RewardTrainerConfig;
import rlhf4j.reward.model.TokenizedPair;

/** {@code rlhf4j train-reward}: trains a reward model on JSONL preference pairs. */
@Command(
    name = "train-reward",
    mixinStandardHelpOptions = true,
    description = {
      "Train a reward model (transformer + scalar score head, saved as an HF"
          + " *ForSequenceClassification folder with num_labels 1) on preference pairs with the"
          + " pairwise loss -log sigmoid(r_chosen - r_rejected - margin).",
      "Data: JSONL, one {\"prompt\": ..., \"chosen\": ..., \"rejected\": ..., \"margin\": ...}"
          + " per line (prompt and margin optional); chosen/rejected are appended to the prompt.",
      "Writes config.json, model.safetensors, the tokenizer files and metrics.jsonl to the"
          + " output folder; with a lora section (LoRA on the frozen backbone, score head trained"
          + " in full) a PEFT folder instead: adapter_config.json (task_type SEQ_CLS,"
          + " modules_to_save [score]) and adapter_model.safetensors, which the reward-model"
          + " reward loads with its base (base_model_name_or_path, or option base).",
      "Memory levers: model.base_dtype int8|fp16 (with lora; model.quantize_embeddings also"
          + " stores the embedding and LM head so) and trainer.gradient_checkpointing."
    },
    footer = {
      "",
      "Config keys (YAML; relative paths against the working directory; trainer keys use the HF"
          + " TrainingArguments / TRL RewardConfig names):",
      "  model.dir          HF language model (gets a fresh score head) or a saved",
      "                     reward model (trained further)",
      "  model.preset       or a seeded random shape: nano, tiny, mini, small,",
      "                     tiny-llama, tiny-neox",
      "  model.seed         preset weights and fresh score head (default 0)",
      "  model.tokenizer    folder with tokenizer.json (default: model.dir)",
      "  model.base_dtype   fp32 (default), fp16 or int8 frozen base; needs lora",
      "  model.quantize_embeddings  also store the embedding and LM head so (default false)",
      "  data.path          JSONL preference pairs (required)",
      "  data.eval_fraction held out to measure accuracy (default 0.1)",
      "  trainer:",
      "    output_dir       folder to write (required)",
      "    logging_steps    print training metrics every N steps (default 10)",
      "    num_train_epochs default 3",
      "    per_device_train_batch_size  pairs per step, default 8",
      "    per_device_eval_batch_size   default 8",
      "    learning_rate    default 1e-4 (TRL); ~1e-3 for tiny random models",
      "    lr_scheduler_type  constant, linear (default), cosine",
      "    warmup_ratio     default 0",
      "    weight_decay     AdamW, default 0",
      "    max_grad_norm    default 1.0; 0 disables clipping",
      "    center_rewards_coefficient  c of c*mean((r_c + r_r)^2), default 0",
      "    max_length       pairs with a longer sequence are dropped, default 1024",
      "    seed             split and shuffle seed, default 42",
      "    gradient_checkpointing  recompute blocks in the backward, default false",
      "  lora:              optional; the keys of ppo's lora section (r, lora_alpha,",
      "                     lora_dropout, target_modules, ...) plus seed; the score",
      "                     head always trains and is saved (modules_to_save [score])",
      "",
      "Example: cli/configs/train-reward.yaml"
    })
public final class TrainRewardCommand implements Callable<Integer> {
  /** Tokenizer files copied next to the trained model when present. */
  private static final List<String> TOKENIZER_FILES =
      List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json");

  @Option(
      names = "--config",
      required = true,
      paramLabel = "FILE.yaml",
      description = "YAML config (keys below)")
  Path configFile;

  @Override
  public Integer call() throws IOException {
    TrainRewardConfig config = TrainRewardConfig.read(configFile);
    RewardTrainerConfig trainerConfig = config.trainer();
    Path output = OutputFolders.prepare(config.outputDir(), "trainer.output_dir");
    Path tokenizerDir = config.model().tokenizerDir();
    List<PreferencePair> pairs = PreferenceData.read(config.data(), tokenizerDir);
    try (Tokenizer tokenizer = Tokenizer.load(tokenizerDir);
        RewardModel model = loadModel(config.model()).optTokenizer(tokenizer);
        RewardLora lora =
            config.lora() == null
                ? null
                : RewardLora.inject(
                    model,
                    PpoCommand.withBase(config.lora(), config.model().describe()),
                    config.loraSeed())) {
      if (tokenizer.vocabSize() > model.config().vocabSize()) {
        throw new IllegalArgumentException(
            "the tokenizer in "
                + tokenizerDir
                + " has "
                + tokenizer.vocabSize()
                + " tokens but the model's vocabulary has "
                + model.config().vocabSize()
                + "; use the model's own tokenizer");
      }
      RewardTrainer trainer =
          lora == null
              ? new RewardTrainer(model, trainerConfig)
              : new RewardTrainer(model, trainerConfig, lora.trainableParameters());
      if (lora != null) {
        System.out.printf(
            Locale.ROOT,
            "train-reward: LoRA r %d on a frozen %s base: %,d trainable parameters (adapter and"
                + " score head)%n",
            config.lora().r(),
            model.backbone().baseDtype().configName(),
            lora.trainableCount());
      }
      PreferenceData.Tokenized tokenized = trainer.tokenize(pairs);
      if (tokenized.pairs().size() < 2) {
        throw new IllegalArgumentException(
            config.data()
                + ": only "
                + tokenized.pairs().size()
                + " pair(s) fit trainer.max_length "
                + trainerConfig.maxLength()
                + "; need at least 2");
      }
      PreferenceData.Split<TokenizedPair> split =
          PreferenceData.split(tokenized.pairs(), config.evalFraction(), trainerConfig.seed());
      System.out.printf(
          "train-reward: %d pairs (%d train, %d held out), %d dropped as longer than %d tokens%n",
          pairs.size(),
          split.train().size(),
          split.eval().size(),
          tokenized.droppedTooLong(),
          trainerConfig.maxLength());
      int bs = trainerConfig.batchSize();
      long total = (long) trainerConfig.epochs() * ((split.train().size() + bs - 1) / bs);
      ProgressReporter progress = new ProgressReporter(System.out, "train-reward", total, false);
      RewardTrainer.Result result;
      try (MetricsWriter metrics = MetricsWriter.create(output.resolve("metrics.jsonl"))) {
        int logEvery = config.loggingSteps();
        trainer.addListener(
            (step, m) -> {
              metrics.write(step, m);
              boolean eval = m.containsKey("eval/loss");
              if (eval || step % logEvery == 0) {
                System.out.println(progress.line(step, format(m)));
              }
            });
        result = trainer.train(split.train(), split.eval());
      }
      if (lora == null) {
        model.save(output);
      } else {
        lora.save(output);
      }
      for (String name : TOKENIZER_FILES) {
        Path f = tokenizerDir.resolve(name);
        if (Files.isRegularFile(f)) {
          Files.copy(f, output.resolve(name), StandardCopyOption.REPLACE_EXISTING);
        }
      }
      if (result.eval() != null) {
        System.out.printf(
            "held-out accuracy %.4f on %d pairs (loss %.4f); ",
            result.eval().accuracy(), result.eval().pairs(), result.eval().loss());
      }
      System.out.printf("%d steps; wrote %s%n", result.steps(), output);
    }
    return 0;
  }

  private static RewardModel loadModel(ModelSource m) {
    QuantConfig quant = m.quant();
    if (m.preset() != null) {
      return RewardModel.random(Presets.config(m.preset()), m.seed(), quant);
    }
    Path dir = Path.of(m.dir());
    if (RewardLora.isAdapterFolder(dir) && !Files.isRegularFile(dir.resolve("config.json"))) {
      throw new IllegalArgumentException(
          "model.dir "
              + dir
              + " is a LoRA adapter folder (adapter_config.json), not a full model; train-reward"
              + " starts from a full model: set model.dir to the adapter's base"
              + " (base_model_name_or_path in adapter_config.json) and train a new adapter with a"
              + " lora section");
    }
    return RewardModel.fromPretrained(dir, m.seed(), quant);
  }

  private static String format(Map<String, Double> metrics) {
    StringBuilder sb = new StringBuilder();
    metrics.forEach(
        (k, v) -> sb.append(sb.length() == 0 ? "" : " ").append(k).append('=').append(fmt(v)));
    return sb.toString();
  }

  private static String fmt(double v) {
    return Math.abs(v) >= 1e-3 || v == 0 ? String.format("%.4f", v) : String.format("%.3e", v);
  }
}
