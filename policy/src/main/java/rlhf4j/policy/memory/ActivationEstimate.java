package rlhf4j.policy.memory;

import rlhf4j.policy.family.ActivationFactors;
import rlhf4j.policy.family.Architectures;
import rlhf4j.policy.model.ModelConfig;

/**
 * An estimate of the float32 activation memory of one step of a {@link
 * rlhf4j.policy.model.CausalLM} on B sequences of S tokens whose last T positions go through the LM
 * head, counted from the tensors each block creates (N = B·S tokens, D width, I MLP width, H heads,
 * V vocabulary):
 *
 * <ul>
 *   <li>training, plain backprop: per block the tensors autograd saves for the backward (GPT-2
 *       about 5·N·D + 4·N·I + B·H·S², GPT-NeoX 4·N·D + 2·N·I + B·H·S², Llama 7·N·D + 4·N·I +
 *       B·H·S²), for all L blocks at once, plus the larger of the gradients in flight in one
 *       block's backward and the head (≈ 4·B·T·V: logits, log-softmax and their gradients);
 *   <li>training with checkpointing: the L + 1 block inputs (N·D each) plus the larger of one
 *       block's saved tensors and gradients during its recomputation and the head;
 *   <li>no-grad forward: one block's intermediates (GPT-2 about 20·N·D + 9·N·I + 4·B·H·S²) plus the
 *       logits.
 * </ul>
 *
 * It assumes blocks run in their own scope (as {@link rlhf4j.policy.model.CausalLM} does) and
 * ignores LoRA's rank-r tensors and allocator slack (glibc can hold as much again; see {@link
 * rlhf4j.policy.train.NativeMemory#setMmapThreshold(int)}); the memory benchmark prints it beside
 * the measured peak. Treat it as a guide to which lever matters, not as a bound.
 */
public final class ActivationEstimate {
  private ActivationEstimate() {}

  /**
   * Estimated activation bytes.
   *
   * @param config model shape
   * @param batch B
   * @param seqLen S (query plus response)
   * @param responseLen T positions scored by the LM head
   * @param checkpointing gradient checkpointing on
   * @param training whether a backward follows (false: no-grad forward)
   */
  public static long bytes(
      ModelConfig config,
      long batch,
      long seqLen,
      long responseLen,
      boolean checkpointing,
      boolean training) {
    if (batch <= 0 || seqLen <= 0 || responseLen < 0 || responseLen > seqLen) {
      throw new IllegalArgumentException(
          "need batch > 0, seqLen > 0 and 0 <= responseLen <= seqLen, got "
              + batch
              + ", "
              + seqLen
              + ", "
              + responseLen);
    }
    double n = (double) batch * seqLen;
    double d = config.hiddenSize();
    double inner = config.intermediateSize();
    double scores = (double) batch * config.numHeads() * seqLen * seqLen;
    double logits = (double) batch * responseLen * config.vocabSize();
    ActivationFactors f = Architectures.of(config).activationFactors();
    double saved = f.savedD() * n * d + f.savedInner() * n * inner + scores;
    double all = f.allD() * n * d + f.allInner() * n * inner + 4 * scores;
    // gradients in flight during one block's backward
    double inFlight = f.inFlightD() * n * d + f.inFlightInner() * n * inner + 2 * scores;
    int layers = config.numLayers();
    double elements;
    if (!training) {
      elements = all + 2 * logits;
    } else if (checkpointing) {
      elements = (layers + 1) * n * d + Math.max(saved + inFlight + 2 * n * d, 4 * logits);
    } else {
      elements = layers * saved + Math.max(inFlight, 4 * logits);
    }
    return (long) (elements * 4);
  }
}
