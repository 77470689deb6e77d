package rlhf4j.reward.model;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.reward.RewardFunction;
import rlhf4j.reward.RewardFunctionProvider;
import rlhf4j.reward.RewardOptions;

/**
 * The short name {@code reward-model}: a learned reward model from a folder (saved by {@code rlhf4j
 * train-reward} or by transformers as {@code *ForSequenceClassification}, {@code num_labels 1}).
 *
 * <p>Options: {@code path} (required, the folder); {@code tokenizer} (a folder with {@code
 * tokenizer.json}; default: {@code path} itself when it has one); {@code batch_size} (default
 * {@value RewardModel#DEFAULT_SCORE_BATCH_SIZE}). With a tokenizer, samples are scored from their
 * texts, re-encoded the reward model's way, so its vocabulary may differ from the policy's; without
 * one, the policy's token ids are scored as they are (same vocabulary required).
 */
public final class RewardModelProvider implements RewardFunctionProvider {
  @Override
  public String name() {
    return "reward-model";
  }

  @Override
  public RewardFunction create(Map<String, String> options) {
    RewardOptions o = RewardOptions.of(name(), options, "path", "tokenizer", "batch_size");
    Path dir = Path.of(o.requireString("path"));
    if (!Files.isRegularFile(dir.resolve("config.json"))) {
      throw new IllegalArgumentException(
          "reward-model option path = '"
              + dir
              + "' has no config.json; point it at a folder written by 'rlhf4j train-reward' (or a"
              + " transformers *ForSequenceClassification save)");
    }
    String tokOpt = o.getString("tokenizer", null);
    Path tokDir = tokOpt != null ? Path.of(tokOpt) : dir;
    Tokenizer tokenizer =
        tokOpt != null || Files.isRegularFile(dir.resolve("tokenizer.json"))
            ? Tokenizer.load(tokDir)
            : null;
    RewardModel model = RewardModel.load(dir);
    model.optScoreBatchSize(o.getInt("batch_size", RewardModel.DEFAULT_SCORE_BATCH_SIZE));
    if (tokenizer != null) {
      model.optTokenizer(tokenizer);
    }
    return new Loaded(model, tokenizer);
  }

  /** The loaded model and its tokenizer, closed together. */
  static final class Loaded implements RewardFunction, AutoCloseable {
    private final RewardModel model;
    private final Tokenizer tokenizer; // null: score the given ids

    Loaded(RewardModel model, Tokenizer tokenizer) {
      this.model = model;
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
      model.close();
      if (tokenizer != null) {
        tokenizer.close();
      }
    }
  }
}
