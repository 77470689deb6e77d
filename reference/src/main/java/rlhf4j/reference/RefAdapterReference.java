package rlhf4j.reference;

import ai.djl.ndarray.NDArray;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.NoGrad;
import rlhf4j.policy.model.TokenLogProbs;

/**
 * The reference for a policy that starts from an adapter trained before (an SFT LoRA, say), where
 * adapters-off would be the wrong reference: a frozen copy of that adapter loaded into the same
 * {@link LoraModel} as a second adapter named {@value #NAME} (TRL does the same: {@code
 * ref_adapter_name}). A reference pass makes {@value #NAME} the active adapter and restores the
 * policy's adapter afterwards; it costs one adapter's memory, not a second model. Adapters off
 * stays the reference for a fresh adapter ({@link AdapterSwitchingReference}).
 *
 * <p>Switching the active adapter affects the whole model, not just the calling thread: do not run
 * a reference pass while another thread generates with or trains the policy. The {@value #NAME}
 * adapter is never trained (only the active adapter's {@code trainableParameters()} are), and
 * {@link LoraModel#save} writes it into a sub-folder beside the policy's adapter.
 */
public final class RefAdapterReference implements ReferenceModel {
  /** The frozen copy's adapter name. */
  public static final String NAME = "ref";

  private final LoraModel policy;

  private RefAdapterReference(LoraModel policy) {
    this.policy = policy;
  }

  /**
   * Freezes a copy of the policy's active adapter, as it is now, as adapter {@value #NAME}: call it
   * after loading the trained adapter and before training.
   *
   * @throws IllegalStateException if the policy has no active adapter or already has {@value #NAME}
   */
  public static RefAdapterReference copyOfActive(LoraModel policy) {
    String active = policy.activeAdapter();
    if (active == null) {
      throw new IllegalStateException(
          "the policy has no active adapter to copy; load the trained adapter first");
    }
    checkFree(policy);
    Path tmp = null;
    try {
      tmp = Files.createTempDirectory("rlhf4j-ref-adapter");
      policy.saveAdapter(active, tmp);
      policy.loadAdapter(tmp, NAME);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy adapter '" + active + "' via " + tmp, e);
    } finally {
      deleteQuietly(tmp);
    }
    return new RefAdapterReference(policy);
  }

  /**
   * Loads the trained adapter saved in {@code adapterDir} (PEFT format) as adapter {@value #NAME}:
   * the reference is that adapter whatever the policy's adapter becomes.
   */
  public static RefAdapterReference load(LoraModel policy, Path adapterDir) {
    checkFree(policy);
    policy.loadAdapter(adapterDir, NAME);
    return new RefAdapterReference(policy);
  }

  /** Uses the policy's existing {@value #NAME} adapter (e.g. after loading a checkpoint). */
  public static RefAdapterReference existing(LoraModel policy) {
    if (!policy.adapterNames().contains(NAME)) {
      throw new IllegalStateException(
          "the policy has no '" + NAME + "' adapter; use copyOfActive or load");
    }
    return new RefAdapterReference(policy);
  }

  private static void checkFree(LoraModel policy) {
    if (policy.adapterNames().contains(NAME)) {
      throw new IllegalStateException(
          "the policy already has an adapter named '"
              + NAME
              + "'; use RefAdapterReference.existing, or delete it first");
    }
  }

  @Override
  public NDArray responseLogProbs(
      NDArray ids, NDArray mask, int queryWidth, NDArray responses, double temperature) {
    try (NoGrad ng = NoGrad.enter()) {
      NDArray logits = responseLogits(ids, mask, queryWidth); // (B, T, V)
      return TokenLogProbs.gatherByRows(logits, responses, temperature); // (B, T)
    }
  }

  @Override
  public NDArray responseLogits(NDArray ids, NDArray mask, int queryWidth) {
    synchronized (policy) {
      String active = policy.activeAdapter();
      if (active == null || NAME.equals(active)) {
        throw new IllegalStateException(
            "the '" + NAME + "' adapter is active: the policy must train its own adapter");
      }
      try (NoGrad ng = NoGrad.enter()) {
        policy.setActive(NAME);
        return policy.model().forwardResponse(ids, mask, queryWidth, false).logits();
      } finally {
        policy.setActive(active);
      }
    }
  }

  private static void deleteQuietly(Path dir) {
    if (dir == null) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // a leftover temporary folder is harmless
    }
  }
}
