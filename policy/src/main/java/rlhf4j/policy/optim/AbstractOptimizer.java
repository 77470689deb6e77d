package rlhf4j.policy.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The bookkeeping shared by our optimizers: step counters, lazy state creation in the parameter's
 * manager, state import/export, grad mode and gradient zeroing. Subclasses declare their state
 * slots and write the update rule.
 */
abstract class AbstractOptimizer implements Optimizer {

  /** One state array of one parameter: {@code <kind>.<slot>.<param>}, with its shape and dtype. */
  record Slot(String slot, Shape shape, DataType dataType) {}

  private final String kind;
  private final LrSchedule schedule;
  private long step;
  private final Map<String, NDArray> state = new LinkedHashMap<>();
  private final Map<String, Long> paramSteps = new LinkedHashMap<>();
  // imported copies waiting for the first step that shows us their parameters' managers
  private final Map<String, NDArray> pending = new LinkedHashMap<>();
  private NDManager pendingManager;
  private boolean closed;

  AbstractOptimizer(String kind, LrSchedule schedule) {
    this.kind = kind;
    this.schedule = Objects.requireNonNull(schedule, "schedule");
  }

  /** The state arrays a parameter needs (empty for none). */
  abstract List<Slot> slots(NDArray param);

  /**
   * Updates {@code param} in place. Runs inside a scope that frees every temporary; state arrays
   * come from {@link #state}.
   *
   * @param paramStep this parameter's update count, 1 on its first update
   */
  abstract void update(String name, NDArray param, NDArray grad, double lr, long paramStep);

  /** The state array for {@code slot} of parameter {@code name}. */
  final NDArray state(String slot, String name) {
    NDArray array = state.get(key(slot, name));
    if (array == null) {
      throw new IllegalStateException("no state '" + key(slot, name) + "'");
    }
    return array;
  }

  private String key(String slot, String name) {
    return kind + "." + slot + "." + name;
  }

  private String stepKey() {
    return kind + ".step";
  }

  private String stepKey(String name) {
    return kind + ".step." + name;
  }

  @Override
  public final void step(Map<String, NDArray> params) {
    checkOpen();
    Objects.requireNonNull(params, "params");
    double lr = learningRate();
    boolean gradMode = JniUtils.isGradMode();
    JniUtils.setGradMode(false); // in-place ops on leaves that require grad
    try {
      adoptPending(params);
      for (Map.Entry<String, NDArray> e : params.entrySet()) {
        String name = e.getKey();
        NDArray param = e.getValue();
        try (NDArray grad = Gradients.viewOrNull(name, param)) {
          if (grad == null) {
            continue; // no backward pass reached it: torch skips p.grad is None
          }
          ensureState(name, param);
          long paramStep = paramSteps.merge(name, 1L, Long::sum);
          try (NDScope temporaries = new NDScope()) {
            temporaries.suppressNotUsedWarning();
            update(name, param, grad, lr, paramStep);
          }
          Gradients.zero(param, grad);
        }
      }
      step++;
    } finally {
      JniUtils.setGradMode(gradMode);
    }
  }

  @Override
  public final void zeroGrad(Map<String, NDArray> params) {
    Objects.requireNonNull(params, "params");
    params.forEach(Gradients::zero);
  }

  @Override
  public final long stepCount() {
    return step;
  }

  @Override
  public final double learningRate() {
    double lr = schedule.lr(step);
    if (!Double.isFinite(lr) || lr < 0) {
      throw new IllegalStateException(
          "learning-rate schedule returned " + lr + " at step " + step + "; it must be >= 0");
    }
    return lr;
  }

  private void ensureState(String name, NDArray param) {
    for (Slot slot : slots(param)) {
      String key = key(slot.slot(), name);
      if (!state.containsKey(key)) {
        NDArray array = param.getManager().zeros(slot.shape(), slot.dataType());
        NDScope.unregister(array); // outlives the caller's per-step scope
        state.put(key, array);
      }
    }
  }

  /** Moves imported arrays into their parameters' managers; checks names, shapes and dtypes. */
  private void adoptPending(Map<String, NDArray> params) {
    if (pendingManager == null) {
      return;
    }
    for (Map.Entry<String, NDArray> e : params.entrySet()) {
      String name = e.getKey();
      NDArray param = e.getValue();
      boolean stepped = paramSteps.getOrDefault(name, 0L) > 0;
      for (Slot slot : slots(param)) {
        String key = key(slot.slot(), name);
        NDArray imported = pending.remove(key);
        if (imported == null) {
          if (stepped) {
            throw new IllegalArgumentException(
                "imported optimizer state has a step count for '"
                    + name
                    + "' but no tensor '"
                    + key
                    + "'; the checkpoint is incomplete or from another optimizer");
          }
          continue;
        }
        if (!imported.getShape().equals(slot.shape())
            || imported.getDataType() != slot.dataType()) {
          throw new IllegalArgumentException(
              "imported optimizer tensor '"
                  + key
                  + "' is "
                  + imported.getDataType()
                  + imported.getShape()
                  + " but parameter '"
                  + name
                  + "' needs "
                  + slot.dataType()
                  + slot.shape()
                  + "; the checkpoint does not match this model or optimizer config");
        }
        if (!imported.getDevice().equals(param.getDevice())) {
          NDArray moved = imported.toDevice(param.getDevice(), true);
          imported.close();
          imported = moved;
          NDScope.unregister(imported);
        }
        imported.attach(param.getManager());
        state.put(key, imported);
      }
    }
    if (!pending.isEmpty()) {
      throw new IllegalArgumentException(
          "imported optimizer state has tensors for parameters not passed to step(): "
              + pending.keySet()
              + "; pass the same parameter names as the run that exported it");
    }
    pendingManager.close();
    pendingManager = null;
  }

  @Override
  public final OptimizerState exportState() {
    checkOpen();
    Map<String, NDArray> tensors = new LinkedHashMap<>(state);
    tensors.putAll(pending);
    Map<String, Long> scalars = new LinkedHashMap<>();
    scalars.put(stepKey(), step);
    paramSteps.forEach((name, s) -> scalars.put(stepKey(name), s));
    return new OptimizerState(tensors, scalars);
  }

  @Override
  public final void importState(OptimizerState imported) {
    checkOpen();
    Objects.requireNonNull(imported, "state");
    String prefix = kind + ".";
    long newStep = imported.scalar(stepKey());
    Map<String, Long> newParamSteps = new LinkedHashMap<>();
    for (Map.Entry<String, Long> e : imported.scalars().entrySet()) {
      String key = e.getKey();
      if (e.getValue() < 0) {
        throw new IllegalArgumentException(
            "optimizer scalar '" + key + "' must be >= 0, got " + e.getValue());
      }
      if (key.startsWith(stepKey() + ".")) {
        newParamSteps.put(key.substring(stepKey().length() + 1), e.getValue());
      } else if (!key.equals(stepKey())) {
        throw new IllegalArgumentException(
            "optimizer scalar '" + key + "' does not belong to a '" + kind + "' optimizer state");
      }
    }
    for (String key : imported.tensors().keySet()) {
      if (!key.startsWith(prefix)) {
        throw new IllegalArgumentException(
            "optimizer tensor '" + key + "' does not belong to a '" + kind + "' optimizer state");
      }
    }
    // copy first: the source may be this optimizer's own live state
    NDManager copies = NDManager.newBaseManager();
    Map<String, NDArray> copied = new LinkedHashMap<>();
    try {
      for (Map.Entry<String, NDArray> e : imported.tensors().entrySet()) {
        NDArray copy = e.getValue().duplicate();
        NDScope.unregister(copy);
        copy.attach(copies);
        copied.put(e.getKey(), copy);
      }
    } catch (RuntimeException ex) {
      copies.close();
      throw ex;
    }
    freeState();
    pendingManager = copies;
    pending.putAll(copied);
    step = newStep;
    paramSteps.putAll(newParamSteps);
  }

  @Override
  public final long stateBytes() {
    long bytes = 0;
    List<NDArray> all = new ArrayList<>(state.values());
    all.addAll(pending.values());
    for (NDArray array : all) {
      bytes += array.size() * array.getDataType().getNumOfBytes();
    }
    return bytes;
  }

  @Override
  public final void close() {
    if (!closed) {
      freeState();
      closed = true;
    }
  }

  private void freeState() {
    state.values().forEach(NDArray::close);
    state.clear();
    pending.clear();
    if (pendingManager != null) {
      pendingManager.close();
      pendingManager = null;
    }
    paramSteps.clear();
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException(kind + " optimizer is closed");
    }
  }
}
