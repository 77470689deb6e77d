package rlhf4j.policy.family;

import ai.djl.ndarray.NDArray;
import java.util.List;
import java.util.Map;
import rlhf4j.policy.model.Linear;
import rlhf4j.policy.model.Mlp;
import rlhf4j.policy.model.ModelConfig;
import rlhf4j.policy.model.Norm;
import rlhf4j.policy.model.NormKind;
import rlhf4j.policy.model.ParamSpec;

/** Building blocks the architectures share: norms, linears and their parameter specs. */
final class Modules {
  private Modules() {}

  /** The norm at {@code prefix} ({@code .weight}, and {@code .bias} for LayerNorm). */
  static Norm norm(ModelConfig c, Map<String, NDArray> p, String prefix) {
    NDArray bias = c.normKind() == NormKind.LAYER_NORM ? p.get(prefix + ".bias") : null;
    return Norm.of(c.normKind(), p.get(prefix + ".weight"), bias, c.normEps());
  }

  /**
   * The norm parameters at {@code prefix}: weight ones (zeros for {@code 1 + w}), and bias zeros
   * for LayerNorm.
   */
  static void addNorm(List<ParamSpec> out, NormKind kind, String prefix, long d) {
    out.add(
        kind == NormKind.RMS_NORM_PLUS_ONE
            ? ParamSpec.zeros(prefix + ".weight", d)
            : ParamSpec.ones(prefix + ".weight", d));
    if (kind == NormKind.LAYER_NORM) {
      out.add(ParamSpec.zeros(prefix + ".bias", d));
    }
  }

  /**
   * The gated MLP of the Llama-derived families: {@code gate_proj}, {@code up_proj}, {@code
   * down_proj}.
   */
  static Mlp gatedMlp(ModelConfig c, Map<String, NDArray> p, String layer) {
    return new Mlp(
        linear(p, layer + ".mlp.gate_proj", false),
        linear(p, layer + ".mlp.up_proj", false),
        linear(p, layer + ".mlp.down_proj", false),
        c.activation());
  }

  static Linear linear(Map<String, NDArray> p, String path, boolean hfTransposed) {
    return new Linear(path, p.get(path + ".weight"), p.get(path + ".bias"), hfTransposed);
  }

  static void addLinear(
      List<ParamSpec> out, String path, long outF, long inF, boolean bias, double std, boolean t) {
    ParamSpec w = ParamSpec.normal(path + ".weight", std, outF, inF);
    out.add(t ? w.transposedInHf() : w);
    if (bias) {
      out.add(ParamSpec.zeros(path + ".bias", outF));
    }
  }
}
