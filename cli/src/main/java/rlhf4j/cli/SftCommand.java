package rlhf4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import rlhf4j.policy.family.Presets;
import rlhf4j.policy.hf.HfCheckpoint;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ModelConfig;
import rlhf4j.policy.sft.SftConfig;
import rlhf4j.policy.sft.SftExample;
import rlhf4j.policy.sft.SftListener;
import rlhf4j.policy.sft.SftSummary;
import rlhf4j.policy.sft.SftTrainer;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.policy.train.MetricsWriter;
import rlhf4j.policy.train.ProgressReporter;

/** {@code rlhf4j sft --config FILE.yaml}: supervised fine-tuning, saved as an HF folder. */
@Command(
    name = "sft",
    mixinStandardHelpOptions = true,
    description = {
      "Supervised fine-tuning (every base parameter, or a LoRA adapter on a frozen base when the"
          + " config has a lora section) on a JSONL file of {\"text\": ...} or"
          + " {\"prompt\": ..., \"completion\": ...} lines (EOS appended), or of conversations"
          + " ({\"messages\": [...]}, or prompt and completion message lists) rendered with the"
          + " tokenizer folder's chat template, trained on the final assistant turn.",
      "Saves the model as an HF folder (config.json, model.safetensors), or with lora the PEFT"
          + " adapter (adapter_config.json, adapter_model.safetensors; `rlhf4j merge` makes a"
          + " model of it, `lora.adapter` of grpo/rloo/dpo starts from it), with the tokenizer"
          + " files.",
      "Memory levers: model.base_dtype int8|fp16 (with lora; model.quantize_embeddings also"
          + " stores the embedding and LM head so) and trainer.gradient_checkpointing.",
      "Also writes OUTPUT_DIR/metrics.jsonl (sft/loss, sft/learning_rate, sft/tokens_per_s,"
          + " time/wall_s every logging_steps steps).",
      "Config keys: see cli/configs/sft.yaml (trainer keys: HF TrainingArguments / TRL SFTConfig"
          + " names)."
    })
public final class SftCommand implements Callable<Integer> {
  /** Tokenizer files copied next to the saved weights when present. */
  /** The metrics file written into the output folder. */
  static final String METRICS = "metrics.jsonl";

  static final List<String> TOKENIZER_FILES =
      List.of(
          "tokenizer.json",
          "tokenizer_config.json",
          "special_tokens_map.json",
          "vocab.json",
          "merges.txt",
          "chat_template.jinja");

  @Option(
      names = "--config",
      required = true,
      paramLabel = "FILE",
      description = "YAML file with model, data and trainer sections")
  Path config;

  @Override
  public Integer call() throws IOException {
    SftConfigFile file = SftConfigFile.read(config);
    SftConfig sft = file.trainer();
    ModelSource m = file.model();
    Path output = OutputFolders.prepare(file.outputDir(), "trainer.output_dir");
    try (Tokenizer tokenizer = Tokenizer.load(m.tokenizerDir())) {
      List<SftExample> examples = readJsonl(file.data(), tokenizer, m.tokenizerDir());
      try (CausalLM model = loadModel(m, tokenizer);
          LoraModel lora =
              file.lora() == null
                  ? null
                  : LoraModel.inject(
                      model, PpoCommand.withBase(file.lora(), m.describe()), file.loraSeed())) {
        if (tokenizer.vocabSize() > model.config().vocabSize()) {
          throw new IllegalArgumentException(
              "the tokenizer has "
                  + tokenizer.vocabSize()
                  + " tokens but the model's vocabulary has "
                  + model.config().vocabSize()
                  + (m.preset() != null ? "; set model.vocab_from_tokenizer: true" : ""));
        }
        System.out.printf(
            "sft: %d examples from %s, model %s (%,d parameters%s), lr %.2e, batch %d%n",
            examples.size(),
            file.data(),
            m.describe(),
            model.parameterCount(),
            lora == null
                ? ""
                : String.format(
                    Locale.ROOT,
                    "; LoRA r %d: %,d trainable",
                    file.lora().r(),
                    lora.trainableReport().trainable()),
            sft.learningRate(),
            sft.batchSize());
        SftTrainer trainer = new SftTrainer(model, sft);
        ProgressReporter progress =
            new ProgressReporter(System.out, "sft", trainer.totalSteps(examples), false);
        SftSummary s;
        try (MetricsWriter metrics = MetricsWriter.create(output.resolve(METRICS))) {
          s =
              trainer.train(
                  examples,
                  lora == null ? model.parameters() : lora.trainableParameters(),
                  (step, loss, lr, tps) -> {
                    metrics.write(step, SftListener.metrics(loss, lr, tps));
                    System.out.println(
                        progress.line(
                            step,
                            String.format(
                                Locale.ROOT, "loss %.4f  lr %.3e  tokens/s %.0f", loss, lr, tps)));
                  });
        }
        if (lora == null) {
          HfCheckpoint.save(model, output);
        } else {
          lora.save(output);
        }
        for (String name : TOKENIZER_FILES) {
          Path src = m.tokenizerDir().resolve(name);
          if (Files.isRegularFile(src)) {
            Files.copy(src, output.resolve(name), StandardCopyOption.REPLACE_EXISTING);
          }
        }
        System.out.printf(
            "saved %s: %d steps, %d epochs, loss %.4f -> %.4f, %.1f s%n",
            output, s.steps(), s.epochs(), s.firstLoss(), s.finalLoss(), s.seconds());
      }
    }
    return 0;
  }

  /** The HF model in {@code dir}, or a seeded preset (resized to the tokenizer if asked). */
  static CausalLM loadModel(ModelSource m, Tokenizer tokenizer) {
    if (m.dir() != null) {
      return m.load();
    }
    ModelConfig c = Presets.config(m.preset());
    if (m.vocabFromTokenizer()) {
      c =
          withVocabSize(c, tokenizer.vocabSize())
              .withSpecialTokens(tokenizer.bosId(), tokenizer.eosId(), tokenizer.padId());
    }
    return m.load(c);
  }

  /** {@code c} with another vocabulary size. */
  static ModelConfig withVocabSize(ModelConfig c, int vocabSize) {
    return c.toBuilder().vocabSize(vocabSize).build();
  }

  /**
   * Examples from a JSONL file, conversational rows rendered with the chat template of {@code
   * tokenizerDir}: see {@link SftData}.
   */
  static List<SftExample> readJsonl(Path file, Tokenizer tokenizer, Path tokenizerDir) {
    return SftData.read(file, tokenizer, tokenizerDir);
  }
}
