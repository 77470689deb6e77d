package rlhf4j.policy.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import rlhf4j.policy.hf.HfCheckpoint;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.Linear;

/**
 * Merging an adapter into its base weights (PEFT's {@code merge}, {@code unmerge} and {@code
 * merge_and_unload}): W += ΔW = B·A·scaling per adapted module, in place, or into a standalone HF
 * checkpoint with the live model left alone. Stateless: {@link LoraModel} keeps whether its active
 * adapter is merged.
 */
final class LoraMerge {
  private LoraMerge() {}

  /**
   * Refuses to merge adapter {@code a} where merging would not give the trained model.
   *
   * @param what the operation, for the message
   * @throws IllegalStateException if {@code a} adapts a tied LM head or a quantised weight
   */
  static void checkMergeable(CausalLM model, LoraAdapter a, LoraTargets targets, String what) {
    if (model.config().tieWordEmbeddings() && a.layers.containsKey(model.lmHead().path())) {
      throw new IllegalStateException(
          "cannot "
              + what
              + ": the adapter targets "
              + model.lmHead().path()
              + ", whose weight is tied to the token embedding, so merging would change the input"
              + " embeddings too; keep the adapter unmerged or do not target the LM head");
    }
    for (String path : a.layers.keySet()) {
      Linear l = targets.module(path);
      if (l.isQuantized()) {
        throw new IllegalStateException(
            "cannot "
                + what
                + ": module "
                + path
                + " is stored as "
                + l.baseDtype()
                + ", and adding ΔW = B·A·scaling into a quantised weight would re-round the whole"
                + " weight (the merged model would differ from the trained one by the"
                + " quantisation error); keep the adapter unmerged, or save it and merge into the"
                + " float32 base (load with baseDtype fp32, load the adapter, merge)");
      }
    }
  }

  /** Adds each layer's ΔW into its base weight, in place. */
  static void merge(LoraAdapter a, LoraTargets targets) {
    for (Map.Entry<String, LoraLayer> e : a.layers.entrySet()) {
      e.getValue().mergeInto(targets.module(e.getKey()).weight());
    }
  }

  /** Subtracts each layer's ΔW from its base weight again (the base up to float rounding). */
  static void unmerge(LoraAdapter a, LoraTargets targets) {
    for (Map.Entry<String, LoraLayer> e : a.layers.entrySet()) {
      e.getValue().unmergeFrom(targets.module(e.getKey()).weight());
    }
  }

  /**
   * Writes a standalone HF checkpoint of {@code model} with {@code a} merged in and its
   * modules_to_save copies in place of the originals; the live weights are not changed.
   *
   * @param merged whether {@code a} is merged into the live weights already
   * @throws IllegalStateException if a trained copy of a tied LM head cannot be stored
   */
  static void mergeAndSave(
      CausalLM model, LoraAdapter a, LoraTargets targets, boolean merged, Path out)
      throws IOException {
    checkMergeable(model, a, targets, "mergeAndSave");
    if (model.config().tieWordEmbeddings() && a.copies.containsKey(model.lmHead().path())) {
      throw new IllegalStateException(
          "modules_to_save holds a trained lm_head but this model ties lm_head to the token"
              + " embedding, so a standalone checkpoint cannot hold both; save the adapter instead");
    }
    try (NDScope scope = new NDScope();
        NDManager none = NDManager.newBaseManager()) {
      Map<String, NDArray> params = new LinkedHashMap<>(model.parameters());
      if (!merged) {
        for (Map.Entry<String, LoraLayer> e : a.layers.entrySet()) {
          Linear l = targets.module(e.getKey());
          params.put(model.weightName(l), l.weight().add(e.getValue().delta()));
        }
      }
      for (Map.Entry<String, SavedModule> e : a.copies.entrySet()) {
        params.put(model.weightName(targets.module(e.getKey())), e.getValue().weight());
        if (e.getValue().bias() != null) {
          params.put(e.getKey() + ".bias", e.getValue().bias());
        }
      }
      HfCheckpoint.save(new CausalLM(model.config(), none, params), out);
    }
  }
}
