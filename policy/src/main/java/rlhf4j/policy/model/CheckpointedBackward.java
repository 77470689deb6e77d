package rlhf4j.policy.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link CausalLM#backward} with and without gradient checkpointing (Chen et al. 2016, "Training
 * Deep Nets with Sublinear Memory Cost"; torch.utils.checkpoint per block, as HF's
 * gradient_checkpointing_enable). DJL has no custom autograd function and allows one collector at a
 * time, so the checkpointed backward is a sequence of collectors:
 *
 * <ol>
 *   <li>no graph: embed, run the blocks, keep each block's input x_i and the last output x_L;
 *   <li>graph over the top: x_L (a leaf) → final norm → head → loss; backward gives ∂loss/∂x_L (a
 *       quantised LM head on a {@link QuantizedLinearTape}, see {@link #backwardTop});
 *   <li>for i = L−1 … 0: recompute block i from x_i (a leaf) with a graph and backpropagate the
 *       upstream gradient g_{i+1} into it (a vector-Jacobian product); this adds the block's
 *       parameter gradients and gives g_i = ∂loss/∂x_i; the block's graph is then freed; quantised
 *       layers go through a {@link QuantizedLinearTape} (where {@link #taped}), so not even one
 *       block's float32 weight copies wait in the graph;
 *   <li>if an embedding table trains: recompute the embeddings and backpropagate g_0.
 * </ol>
 *
 * <p>Without checkpointing a float32 base backpropagates through one graph ({@link #oneGraph}); a
 * quantised one is {@link #staged} per block, for the same reason, where {@link #taped}.
 */
final class CheckpointedBackward {
  private CheckpointedBackward() {}

  /**
   * {@link CausalLM#backward}: {@link #run} with checkpointing, else {@link #plain}. In training
   * mode one seed is drawn from torch's generator for the per-block reseeding, and the generator is
   * left at {@code reseed(seed, layers)} afterwards, so what draws next (the next mini-batch's
   * seed) does not depend on whether blocks were recomputed.
   */
  static NDList backward(
      CausalLM model,
      NDArray ids,
      NDArray mask,
      boolean training,
      boolean checkpointing,
      LossHead head) {
    long seed = training ? drawSeed(ids.getManager()) : 0;
    NDList out =
        checkpointing
            ? run(model, ids, mask, training, seed, head)
            : plain(model, ids, mask, training, seed, head);
    if (training) {
      reseed(seed, model.blocks().size());
    }
    return out;
  }

  /**
   * Backward without recomputation: one graph for a float32 base; for a quantised base {@link
   * #staged}, which gives the same gradients without a float32 weight copy in the graph, where that
   * holds less ({@link #taped}).
   */
  static NDList plain(
      CausalLM model, NDArray ids, NDArray mask, boolean training, long seed, LossHead head) {
    return taped(model, ids, true)
        ? staged(model, ids, mask, training, seed, head)
        : oneGraph(model, ids, mask, training, seed, head);
  }

  /** Plain backprop through one graph (a quantised layer's graph holds its float32 copy). */
  static NDList oneGraph(
      CausalLM model, NDArray ids, NDArray mask, boolean training, long seed, LossHead head) {
    try (GradientCollector gc = newCollector()) {
      CausalLM.Prepared in = model.prepare(ids, mask, null, training);
      NDArray x = in.x();
      List<Block> blocks = model.blocks();
      for (int i = 0; i < blocks.size(); i++) {
        if (training) {
          reseed(seed, i);
        }
        x = CausalLM.runBlock(blocks.get(i), x, in.ctx());
      }
      NDList out = head.apply(model.finalNorm().forward(x));
      gc.backward(loss(out));
      NDList result = new NDList(out.size());
      for (NDArray a : out) {
        result.add(a.stopGradient());
      }
      return result;
    }
  }

  /**
   * Plain backprop (no recomputation) in stages, for a quantised base: the forward builds each
   * block's graph from a leaf copy of its input with its quantised layers on a {@link
   * QuantizedLinearTape} (no float32 weight copy in the graph); the backward then runs from the top
   * block by block, each block's output gradient backpropagated into it and its tape replayed
   * (dequantising each layer again for g·Ŵ), giving the gradient of its input for the block below.
   * Activations are kept as in {@link #oneGraph}; a block's graph is freed once its backward is
   * done.
   */
  static NDList staged(
      CausalLM model, NDArray ids, NDArray mask, boolean training, long seed, LossHead head) {
    List<Block> blocks = model.blocks();
    int layers = blocks.size();
    NDArray[] inputs = new NDArray[layers + 1]; // x_0 … x_L, leaves that require gradients
    NDArray[] outputs = new NDArray[layers]; // block i's output, with block i's graph
    QuantizedLinearTape[] tapes = new QuantizedLinearTape[layers];
    NDList result = new NDList();
    boolean ok = false;
    try (NDScope work = new NDScope();
        GradientCollector gc = newCollector()) {
      // 1. forward with a graph per block, quantised layers on the block's tape
      CausalLM.Prepared in = model.prepare(ids, mask, null, training);
      NDArray x0 = in.x(); // (B, S, D), with a graph when an embedding table trains
      inputs[0] = leaf(x0); // the tape needs every layer input to require gradients
      for (int i = 0; i < layers; i++) {
        if (training) {
          reseed(seed, i);
        }
        tapes[i] = QuantizedLinearTape.open();
        try {
          outputs[i] = CausalLM.runBlock(blocks.get(i), inputs[i], in.ctx()); // (B, S, D)
        } finally {
          tapes[i].stop();
        }
        inputs[i + 1] = leaf(outputs[i]);
      }
      // 2. the top: final norm, head and loss, backpropagated into x_L; its graph freed after
      backwardTop(model, inputs[layers], head, result);
      NDArray g = inputs[layers].getGradient(); // (B, S, D)
      // 3. blocks from the top: the block's own graph, then its tape, give its input's gradient
      for (int i = layers - 1; i >= 0; i--) {
        boolean replay = tapes[i].size() > 0;
        JniUtils.backward((PtNDArray) outputs[i], (PtNDArray) g, replay, false);
        if (replay) {
          tapes[i].replay();
        }
        g.close();
        g = inputs[i].getGradient();
        tapes[i].close();
        tapes[i] = null;
        outputs[i].close();
      }
      // 4. the embeddings, when a table trains
      if (model.embeddingsTrainable()) {
        JniUtils.backward((PtNDArray) x0, (PtNDArray) g, false, false);
      }
      g.close();
      ok = true;
    } finally {
      for (QuantizedLinearTape t : tapes) {
        if (t != null) {
          t.close();
        }
      }
      if (!ok) {
        result.forEach(NDArray::close);
      }
    }
    for (NDArray a : result) {
      NDScope.register(a);
    }
    return result;
  }

  /**
   * The top of a staged or checkpointed backward: final norm, head and loss from x_L, a leaf that
   * requires gradients, backpropagated (inside the caller's collector) into x_L and the top's own
   * parameters. A quantised LM head goes on a {@link QuantizedLinearTape}, like a block's layers,
   * so no float32 copy of it waits in the graph (622 MB for Qwen3-0.6B's tied 151,936-row head).
   * What {@code head} returned is added to {@code result} detached, in no scope; the top's graph is
   * freed before this returns.
   */
  private static void backwardTop(CausalLM model, NDArray xL, LossHead head, NDList result) {
    try (QuantizedLinearTape tape =
            model.lmHead().isQuantized() ? QuantizedLinearTape.open() : null;
        NDScope s = new NDScope()) {
      NDList out = head.apply(model.finalNorm().forward(xL));
      if (tape != null) {
        tape.stop(); // recorded: the loss's backward and the replay record nothing
      }
      NDArray loss = loss(out);
      boolean replay = tape != null && tape.size() > 0;
      JniUtils.backward((PtNDArray) loss, (PtNDArray) loss.onesLike(), replay, false);
      if (replay) {
        tape.replay();
      }
      for (NDArray a : out) {
        NDArray d = a.stopGradient();
        NDScope.unregister(d);
        result.add(d);
      }
    }
  }

  /** A leaf that shares {@code x}'s values and requires gradients: where a stage's graph starts. */
  private static NDArray leaf(NDArray x) {
    NDArray l = x.stopGradient();
    l.setRequiresGradient(true);
    return l;
  }

  /**
   * Whether the quantised block layers go through a {@link QuantizedLinearTape} for a batch of
   * {@code ids}: when the float32 copies one graph would keep (Σ in·out over quantised layers) are
   * more than the layer inputs the tape keeps instead (tokens × Σ in, an upper bound: layers that
   * share an input count it each time). At Qwen3-0.6B's shapes that is below about 1,500 tokens per
   * forward.
   */
  static boolean taped(CausalLM model, NDArray ids) {
    return taped(model, ids, false);
  }

  /**
   * {@link #taped(CausalLM, NDArray)}, also counting a quantised LM head when {@code withHead} (the
   * staged backward tapes it at the top; the one graph would keep its copy).
   */
  static boolean taped(CausalLM model, NDArray ids, boolean withHead) {
    double copies = 0;
    double inputs = 0;
    List<Linear> layers = new ArrayList<>(model.linears());
    if (withHead) {
      layers.add(model.lmHead());
    }
    for (Linear l : layers) {
      if (l.isQuantized()) {
        copies += (double) l.inFeatures() * l.outFeatures();
        inputs += l.inFeatures();
      }
    }
    return copies > 0 && ids.size() * inputs < copies;
  }

  static NDList run(
      CausalLM model, NDArray ids, NDArray mask, boolean training, long seed, LossHead head) {
    boolean taped = taped(model, ids);
    List<Block> blocks = model.blocks();
    int layers = blocks.size();
    NDArray[] saved = new NDArray[layers + 1]; // x_0 … x_L, no graph
    NDList result = new NDList();
    boolean ok = false;
    try (NDScope work = new NDScope()) {
      // 1. forward without a graph, keeping block inputs
      CausalLM.Prepared in;
      try (NoGrad ng = NoGrad.enter()) {
        in = model.prepare(ids, mask, null, training);
        saved[0] = in.x();
        for (int i = 0; i < layers; i++) {
          if (training) {
            reseed(seed, i);
          }
          saved[i + 1] = CausalLM.runBlock(blocks.get(i), saved[i], in.ctx()); // (B, S, D)
        }
      }
      // 2. the top: final norm and head, from x_L
      NDArray top = saved[layers];
      top.setRequiresGradient(true);
      NDArray g;
      try (NDScope s = new NDScope()) {
        try (GradientCollector gc = newCollector()) {
          backwardTop(model, top, head, result);
        }
        g = keep(top.getGradient());
      }
      NDScope.register(g);
      // 3. blocks from the top: recompute with a graph, backpropagate the upstream gradient
      for (int i = layers - 1; i >= 0; i--) {
        NDArray x = saved[i];
        x.setRequiresGradient(true);
        if (training) {
          reseed(seed, i);
        }
        NDArray gIn;
        try (NDScope s = new NDScope();
            QuantizedLinearTape tape = taped ? QuantizedLinearTape.open() : null) {
          try (GradientCollector gc = newCollector()) {
            NDArray y = CausalLM.runBlock(blocks.get(i), x, in.ctx()); // only saved tensors stay
            boolean replay = tape != null && tape.size() > 0; // no float32 copy in the graph
            if (tape != null) {
              tape.stop();
            }
            JniUtils.backward((PtNDArray) y, (PtNDArray) g, replay, false);
            if (replay) {
              tape.replay();
            }
          }
          gIn = keep(x.getGradient());
        }
        NDScope.register(gIn);
        g.close();
        saved[i + 1].close();
        g = gIn;
      }
      // 4. the embeddings, when a table trains
      if (model.embeddingsTrainable()) {
        try (NDScope s = new NDScope();
            GradientCollector gc = newCollector()) {
          NDArray x0 = model.embed(ids, in.positions());
          JniUtils.backward((PtNDArray) x0, (PtNDArray) g, false, false);
        }
      }
      ok = true;
    } finally {
      if (!ok) {
        result.forEach(NDArray::close);
      }
    }
    for (NDArray a : result) {
      NDScope.register(a);
    }
    return result;
  }

  /** A copy of {@code grad} that outlives the current scope (the caller registers it again). */
  private static NDArray keep(NDArray grad) {
    NDScope.unregister(grad);
    return grad;
  }

  private static NDArray loss(NDList out) {
    if (out == null || out.isEmpty()) {
      throw new IllegalArgumentException("the LossHead returned no arrays; return the loss first");
    }
    NDArray loss = out.get(0);
    if (loss.size() != 1) {
      throw new IllegalArgumentException(
          "the LossHead's first array must be the scalar loss, got shape " + loss.getShape());
    }
    return loss;
  }

  private static GradientCollector newCollector() {
    try {
      return Engine.getInstance().newGradientCollector();
    } catch (IllegalStateException e) {
      throw new IllegalStateException(
          "CausalLM.backward opens its own GradientCollector, and DJL allows one at a time; call"
              + " it outside any collector",
          e);
    }
  }

  /** Reseeds torch's generator before block {@code i} so a recomputation draws the same masks. */
  static void reseed(long seed, int i) {
    Engine.getInstance().setRandomSeed((int) ((seed + 7919L * i) & 0x7fffffffL));
  }

  /** A base seed for per-block reseeding, drawn from torch's generator. */
  static long drawSeed(NDManager m) {
    try (NDArray r = m.randomInteger(0, Integer.MAX_VALUE, new Shape(1), DataType.INT64)) {
      return r.getLong();
    }
  }
}
