package rlhf4j.policy.finetune;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import rlhf4j.policy.model.CausalLM;

/**
 * Layer freezing: the last {@code trainableBlocks} transformer blocks and the final norm train;
 * embeddings, earlier blocks and the LM head are frozen.
 *
 * @param trainableBlocks how many of the last blocks train, 1 to the number of blocks
 */
public record LayerFreezing(int trainableBlocks) implements Finetuning {
  private static final Pattern BLOCK = Pattern.compile("^[^.]+\\.[^.]+\\.(\\d+)\\.");

  /** Checks the count. */
  public LayerFreezing {
    if (trainableBlocks <= 0) {
      throw new IllegalArgumentException(
          "trainableBlocks must be > 0 (use Finetuning.full() to train everything), got "
              + trainableBlocks);
    }
  }

  @Override
  public LinkedHashMap<String, NDArray> prepare(CausalLM model) {
    int layers = model.config().numLayers();
    if (trainableBlocks > layers) {
      throw new IllegalArgumentException(
          "trainableBlocks is "
              + trainableBlocks
              + " but the model has only "
              + layers
              + " blocks; use at most "
              + layers
              + " or Finetuning.full()");
    }
    int first = layers - trainableBlocks;
    LinkedHashMap<String, NDArray> out = new LinkedHashMap<>();
    for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
      int block = blockIndex(e.getKey());
      boolean finalNorm = model.finalNormParameterNames().contains(e.getKey());
      if (block >= first || finalNorm) {
        out.put(e.getKey(), e.getValue());
      }
    }
    Trainability.mark(model, out);
    return out;
  }

  /** The block index of a parameter such as {@code transformer.h.3.attn.c_attn.weight}, or -1. */
  static int blockIndex(String name) {
    Matcher m = BLOCK.matcher(name);
    return m.lookingAt() ? Integer.parseInt(m.group(1)) : -1;
  }
}
