package rlhf4j.reward.model;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import rlhf4j.policy.quant.QuantConfig;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.reward.RewardFunction;
import rlhf4j.reward.RewardFunctionProvider;
import rlhf4j.reward.RewardOptions;

/**
 * The short name {@code reward-model}: a learned reward model from a folder (saved by {@code rlhf4j
 * train-reward} or by transformers as {@code *ForSequenceClassification}, {@code num_labels 1}).
 *
 * <p>A LoRA reward model (a PEFT folder with {@code adapter_config.json}, {@code task_type
 * SEQ_CLS}, as {@code rlhf4j train-reward} writes with a {@code lora} section) loads its base from
 * {@code base_model_name_or_path} in {@code adapter_config.json}, or from option {@code base}.
 *
 * <p>Options: {@code path} (required, the folder); {@code base} (LoRA only: the base model folder);
 * {@code tokenizer} (a folder with {@code tokenizer.json}; default: {@code path} itself when it has
 * one); {@code batch_size} (default {@value RewardModel#DEFAULT_SCORE_BATCH_SIZE}). With a
 * tokenizer, samples are scored from their texts, re-encoded the reward model's way, so its
 * vocabulary may differ from the policy's; without one, the policy's token ids are scored as they
 * are (same vocabulary required).
 */
public final class RewardModelProvider implements RewardFunctionProvider {
  @Override
  public String name() {
    return "reward-model";
  }

  @Override
  public RewardFunction create(Map<String, String> options) {
    RewardOptions o = RewardOptions.of(name(), options, "path", "base", "tokenizer", "batch_size");
    Path dir = Path.of(o.requireString("path"));
    boolean adapter = RewardLora.isAdapterFolder(dir);
    String baseOpt = o.getString("base", null);
    if (baseOpt != null && !adapter) {
      throw new IllegalArgumentException(
          "reward-model option base = '"
              + baseOpt
              + "' applies to a LoRA reward model (a folder with adapter_config.json), but '"
              + dir
              + "' has none; remove option base");
    }
    if (!adapter && !Files.isRegularFile(dir.resolve("config.json"))) {
      throw new IllegalArgumentException(
          "reward-model option path = '"
              + dir
              + "' has no config.json (nor adapter_config.json); point it at a folder written by"
              + " 'rlhf4j train-reward' (or a transformers *ForSequenceClassification save)");
    }
    String tokOpt = o.getString("tokenizer", null);
    Path tokDir = tokOpt != null ? Path.of(tokOpt) : dir;
    Tokenizer tokenizer =
        tokOpt != null || Files.isRegularFile(dir.resolve("tokenizer.json"))
            ? Tokenizer.load(tokDir)
            : null;
    RewardLora lora;
    RewardModel model;
    try {
      lora =
          adapter
              ? RewardLora.load(dir, baseOpt == null ? null : Path.of(baseOpt), QuantConfig.FP32)
              : null;
      model = lora != null ? lora.model() : RewardModel.load(dir);
    } catch (RuntimeException e) {
      if (tokenizer != null) {
        tokenizer.close();
      }
      throw e;
    }
    model.optScoreBatchSize(o.getInt("batch_size", RewardModel.DEFAULT_SCORE_BATCH_SIZE));
    if (tokenizer != null) {
      model.optTokenizer(tokenizer);
    }
    return new Loaded(model, lora != null ? lora : model, tokenizer);
  }

  /** The loaded model and its tokenizer, closed together. */
  static final class Loaded implements RewardFunction, AutoCloseable {
    private final RewardModel model;
    private final AutoCloseable owner; // the model, or the LoRA reward model that owns it
    private final Tokenizer tokenizer; // null: score the given ids

    Loaded(RewardModel model, AutoCloseable owner, Tokenizer tokenizer) {
      this.model = model;
      this.owner = owner;
      this.tokenizer = tokenizer;
    }

    @Override
    public float[] score(List<Sample> batch) {
      if (tokenizer == null) {
        return model.score(batch);
      }
      return model.score(batch.stream().map(s -> Sample.of(s.prompt(), s.response())).toList());
    }

    @Override
    public void close() {
      try {
        owner.close();
      } catch (Exception e) {
        throw new IllegalStateException("closing the reward model failed: " + e.getMessage(), e);
      }
      if (tokenizer != null) {
        tokenizer.close();
      }
    }
  }
}
