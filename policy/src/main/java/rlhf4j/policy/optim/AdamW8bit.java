package rlhf4j.policy.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Objects;

/**
 * AdamW (or Adam) whose moments are stored as block-wise 8-bit codes (Dettmers et al. 2022, "8-bit
 * Optimizers via Block-wise Quantization"), with our own simpler code book: m as signed INT8 and
 * sqrt(v) as unsigned UINT8, both with a per-block absmax scale and square-root companding (see
 * {@link BlockQuantizer}). Each step decodes m and v, applies the {@link AdamW} update in the
 * parameter's dtype and re-encodes them. Moment storage is 2 bytes per element plus 8 bytes per
 * block, about a quarter of fp32 AdamW's 8.
 *
 * <p>State keys: {@code adamw8bit.m.<param>} (INT8, (N)), {@code adamw8bit.m_absmax.<param>}
 * (FLOAT32, (NB)), {@code adamw8bit.v.<param>} (UINT8 codes of sqrt(v), (N)), {@code
 * adamw8bit.v_absmax.<param>} (FLOAT32, (NB)).
 */
public final class AdamW8bit extends AbstractOptimizer {

  private final AdamW8bitConfig config;

  /** An optimizer with the given hyper-parameters and learning-rate schedule. */
  public AdamW8bit(AdamW8bitConfig config, LrSchedule schedule) {
    super("adamw8bit", schedule);
    this.config = Objects.requireNonNull(config, "config");
  }

  /** The hyper-parameters. */
  public AdamW8bitConfig config() {
    return config;
  }

  @Override
  List<Slot> slots(NDArray param) {
    long n = param.size();
    Shape scales = new Shape(BlockQuantizer.numBlocks(n, config.blockSize()));
    return List.of(
        new Slot("m", new Shape(n), DataType.INT8),
        new Slot("m_absmax", scales, DataType.FLOAT32),
        new Slot("v", new Shape(n), DataType.UINT8),
        new Slot("v_absmax", scales, DataType.FLOAT32));
  }

  @Override
  void update(String name, NDArray param, NDArray grad, double lr, long paramStep) {
    AdamWConfig adamW = config.adamW();
    int blockSize = config.blockSize();
    Shape shape = param.getShape();
    DataType dataType = param.getDataType();
    NDArray mCodes = state("m", name);
    NDArray mAbsmax = state("m_absmax", name);
    NDArray vCodes = state("v", name);
    NDArray vAbsmax = state("v_absmax", name);
    NDArray m = BlockQuantizer.decodeSigned(mCodes, mAbsmax, blockSize, shape, dataType);
    NDArray v = BlockQuantizer.decodeUnsigned(vCodes, vAbsmax, blockSize, shape, dataType).square();
    double wd = adamW.weightDecay();
    if (wd != 0) {
      if (adamW.decoupled()) {
        param.muli(1 - lr * wd);
      } else {
        grad = grad.add(param.mul(wd));
      }
    }
    m.muli(adamW.beta1()).addi(grad.mul(1 - adamW.beta1()));
    v.muli(adamW.beta2()).addi(grad.square().muli(1 - adamW.beta2()));
    AdamW.applyAdamUpdate(param, m, v, lr, paramStep, adamW);
    BlockQuantizer.encodeSigned(m, blockSize, mCodes, mAbsmax);
    BlockQuantizer.encodeUnsigned(v.sqrt(), blockSize, vCodes, vAbsmax);
  }
}
