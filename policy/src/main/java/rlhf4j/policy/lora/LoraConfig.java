package rlhf4j.policy.lora;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A LoRA adapter's configuration, mirroring PEFT's {@code LoraConfig} (field for field where rlhf4j
 * supports the feature) with PEFT's defaults. Build with {@link #builder()}.
 *
 * <p>Scaling is {@code loraAlpha / r}, or {@code loraAlpha / sqrt(r)} with {@link #useRslora()}.
 * Targets are either a list of module names, each matching a module path equal to it or ending in
 * {@code "." + name} (PEFT's suffix rule, so {@code "attn.c_attn"} works too), or a regex that must
 * match the whole module path (PEFT's {@code target_modules} as a string). {@code null} targets
 * mean the family default ({@code c_attn} for GPT-2, {@code q_proj, v_proj} for
 * Llama/Qwen2/Mistral, {@code query_key_value} for GPT-NeoX); {@value #ALL_LINEAR} means every
 * attention and MLP projection (not the LM head).
 *
 * @param r rank of the update ΔW = B·A; PEFT default 8
 * @param loraAlpha scaling numerator α; PEFT default 8
 * @param loraDropout dropout on the adapter's input, training only; PEFT default 0
 * @param targetModules module names (suffix match) or null; at most one of this and targetRegex
 * @param targetRegex a regex over the full module path, or null
 * @param bias which biases train and are saved with the adapter; PEFT default {@code none}
 * @param useRslora rank-stabilised scaling α/√r (Kalajdzievski 2023); PEFT default false
 * @param initLoraWeights how A and B start; PEFT default {@link InitLoraWeights#DEFAULT}
 * @param layersToTransform only blocks with these indices get adapters, or null for all
 * @param layersPattern name of the block list ({@code h}, {@code layers}) for layersToTransform
 * @param fanInFanOut the HF weight is stored (in, out); PEFT forces true for GPT-2's Conv1D and
 *     false elsewhere, and so does {@link LoraModel} when it injects (the stored config is updated)
 * @param modulesToSave linear modules (e.g. {@code lm_head}) trained in full as a copy and saved
 *     with the adapter
 * @param rankPattern per-module rank overrides: regex key matched against the end of the path
 * @param alphaPattern per-module alpha overrides, same keys
 * @param baseModelNameOrPath informational, written to adapter_config.json; may be null
 */
public record LoraConfig(
    int r,
    double loraAlpha,
    double loraDropout,
    List<String> targetModules,
    String targetRegex,
    Bias bias,
    boolean useRslora,
    InitLoraWeights initLoraWeights,
    List<Integer> layersToTransform,
    String layersPattern,
    boolean fanInFanOut,
    List<String> modulesToSave,
    Map<String, Integer> rankPattern,
    Map<String, Double> alphaPattern,
    String baseModelNameOrPath) {

  /** PEFT's shorthand for every linear layer except the output layer. */
  public static final String ALL_LINEAR = "all-linear";

  /** Which biases train alongside the adapter (PEFT's {@code bias}). */
  public enum Bias {
    /** No bias trains; adapters off then equals the base model exactly. */
    NONE("none"),
    /**
     * Every bias of the model trains (they are base weights: adapters off no longer equals base).
     */
    ALL("all"),
    /** Biases of the adapted layers train (same caveat). */
    LORA_ONLY("lora_only");

    private final String peftName;

    Bias(String peftName) {
      this.peftName = peftName;
    }

    /** The value in adapter_config.json. */
    public String peftName() {
      return peftName;
    }

    /** Parses PEFT's value. */
    public static Bias fromPeft(String s) {
      for (Bias b : values()) {
        if (b.peftName.equals(s)) {
          return b;
        }
      }
      throw new IllegalArgumentException(
          "bias must be one of \"none\", \"all\", \"lora_only\", got \"" + s + "\"");
    }
  }

  /** How a fresh adapter is initialised (PEFT's {@code init_lora_weights}). */
  public enum InitLoraWeights {
    /**
     * PEFT's {@code true}: A kaiming-uniform with a=√5, i.e. U(−1/√in, 1/√in); B zeros, so a fresh
     * adapter changes nothing.
     */
    DEFAULT,
    /** PEFT's {@code "gaussian"}: A ~ N(0, std 1/r); B zeros. */
    GAUSSIAN,
    /**
     * PEFT's {@code false}: A and B both keep nn.Linear's default init (kaiming-uniform), so the
     * fresh adapter is not a no-op; for tests and debugging.
     */
    RANDOM
  }

  /** Validates and copies the collections. */
  public LoraConfig {
    if (r <= 0) {
      throw new IllegalArgumentException("r must be a positive rank, got " + r);
    }
    if (!(loraAlpha > 0) || Double.isInfinite(loraAlpha)) {
      throw new IllegalArgumentException(
          "loraAlpha must be a positive finite number (PEFT default 8), got " + loraAlpha);
    }
    if (!(loraDropout >= 0 && loraDropout < 1)) {
      throw new IllegalArgumentException("loraDropout must be in [0, 1), got " + loraDropout);
    }
    if (targetModules != null && targetRegex != null) {
      throw new IllegalArgumentException(
          "set either targetModules (names) or targetRegex (a pattern), not both");
    }
    if (targetModules != null) {
      if (targetModules.isEmpty()) {
        throw new IllegalArgumentException(
            "targetModules is empty; name at least one module (e.g. \"c_attn\", \"q_proj\") or"
                + " leave it null for the family default");
      }
      for (String t : targetModules) {
        if (t == null || t.isBlank()) {
          throw new IllegalArgumentException(
              "targetModules contains a blank name: " + targetModules);
        }
      }
      targetModules = List.copyOf(targetModules);
    }
    if (targetRegex != null) {
      try {
        Pattern.compile(targetRegex);
      } catch (PatternSyntaxException e) {
        throw new IllegalArgumentException(
            "targetRegex is not a valid regex: "
                + e.getDescription()
                + " in \""
                + targetRegex
                + "\"",
            e);
      }
      if (layersToTransform != null) {
        throw new IllegalArgumentException(
            "layersToTransform cannot be combined with targetRegex (as in PEFT); put the layer"
                + " indices into the regex instead");
      }
    }
    if (bias == null) {
      throw new IllegalArgumentException("bias must not be null (use Bias.NONE)");
    }
    if (initLoraWeights == null) {
      throw new IllegalArgumentException(
          "initLoraWeights must not be null (use InitLoraWeights.DEFAULT)");
    }
    if (layersToTransform != null) {
      if (layersToTransform.isEmpty()) {
        throw new IllegalArgumentException(
            "layersToTransform is empty; leave it null to adapt every layer");
      }
      for (Integer i : layersToTransform) {
        if (i == null || i < 0) {
          throw new IllegalArgumentException(
              "layersToTransform holds block indices >= 0, got " + layersToTransform);
        }
      }
      layersToTransform = List.copyOf(layersToTransform);
    }
    if (layersPattern != null && layersToTransform == null) {
      throw new IllegalArgumentException(
          "layersPattern \"" + layersPattern + "\" needs layersToTransform (as in PEFT)");
    }
    modulesToSave = modulesToSave == null ? List.of() : List.copyOf(modulesToSave);
    for (String m : modulesToSave) {
      if (m.isBlank()) {
        throw new IllegalArgumentException("modulesToSave contains a blank name");
      }
    }
    rankPattern = rankPattern == null ? Map.of() : copyOrdered(rankPattern);
    for (Map.Entry<String, Integer> e : rankPattern.entrySet()) {
      if (e.getValue() == null || e.getValue() <= 0) {
        throw new IllegalArgumentException(
            "rankPattern[\"" + e.getKey() + "\"] must be a positive rank, got " + e.getValue());
      }
    }
    alphaPattern = alphaPattern == null ? Map.of() : copyOrdered(alphaPattern);
    for (Map.Entry<String, Double> e : alphaPattern.entrySet()) {
      if (e.getValue() == null || !(e.getValue() > 0) || e.getValue().isInfinite()) {
        throw new IllegalArgumentException(
            "alphaPattern[\""
                + e.getKey()
                + "\"] must be positive and finite, got "
                + e.getValue());
      }
    }
  }

  private static <V> Map<String, V> copyOrdered(Map<String, V> m) {
    return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(m));
  }

  /** A builder starting from PEFT's defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder holding this config's values. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.r = r;
    b.loraAlpha = loraAlpha;
    b.loraDropout = loraDropout;
    b.targetModules = targetModules;
    b.targetRegex = targetRegex;
    b.bias = bias;
    b.useRslora = useRslora;
    b.initLoraWeights = initLoraWeights;
    b.layersToTransform = layersToTransform;
    b.layersPattern = layersPattern;
    b.fanInFanOut = fanInFanOut;
    b.modulesToSave = modulesToSave;
    b.rankPattern = rankPattern;
    b.alphaPattern = alphaPattern;
    b.baseModelNameOrPath = baseModelNameOrPath;
    return b;
  }

  /** The rank of the module at {@code path}: the first matching rankPattern key, else r. */
  public int rankFor(String path) {
    String key = patternKey(path);
    return key != null && rankPattern.containsKey(key) ? rankPattern.get(key) : r;
  }

  /** The alpha of the module at {@code path}: the first matching alphaPattern key, else alpha. */
  public double alphaFor(String path) {
    String key = patternKey(path);
    return key != null && alphaPattern.containsKey(key) ? alphaPattern.get(key) : loraAlpha;
  }

  /** scaling = α/r, or α/√r with rsLoRA, for the module at {@code path}. */
  public double scalingFor(String path) {
    int rank = rankFor(path);
    double alpha = alphaFor(path);
    return useRslora ? alpha / Math.sqrt(rank) : alpha / rank;
  }

  /** PEFT's rule: the first of rank then alpha pattern keys with {@code .*\.KEY$} matching. */
  private String patternKey(String path) {
    List<String> keys = new ArrayList<>(rankPattern.keySet());
    keys.addAll(alphaPattern.keySet());
    for (String k : keys) {
      if (Pattern.compile(".*\\." + k + "$").matcher(path).matches() || path.equals(k)) {
        return k;
      }
    }
    return null;
  }

  /** Builder with PEFT's defaults: r 8, alpha 8, dropout 0, bias none, default targets. */
  public static final class Builder {
    private int r = 8; // PEFT LoraConfig.r
    private double loraAlpha = 8; // PEFT LoraConfig.lora_alpha
    private double loraDropout = 0.0; // PEFT LoraConfig.lora_dropout
    private List<String> targetModules; // null: the family's PEFT default
    private String targetRegex;
    private Bias bias = Bias.NONE;
    private boolean useRslora;
    private InitLoraWeights initLoraWeights = InitLoraWeights.DEFAULT;
    private List<Integer> layersToTransform;
    private String layersPattern;
    private boolean fanInFanOut;
    private List<String> modulesToSave = List.of();
    private Map<String, Integer> rankPattern = Map.of();
    private Map<String, Double> alphaPattern = Map.of();
    private String baseModelNameOrPath;

    private Builder() {}

    public Builder r(int r) {
      this.r = r;
      return this;
    }

    public Builder loraAlpha(double loraAlpha) {
      this.loraAlpha = loraAlpha;
      return this;
    }

    public Builder loraDropout(double loraDropout) {
      this.loraDropout = loraDropout;
      return this;
    }

    /** Module names, each matching paths equal to it or ending in "." + name. */
    public Builder targetModules(String... names) {
      return targetModules(List.of(names));
    }

    public Builder targetModules(List<String> names) {
      this.targetModules = names;
      this.targetRegex = null;
      return this;
    }

    /** A regex the whole module path must match. */
    public Builder targetRegex(String regex) {
      this.targetRegex = regex;
      this.targetModules = null;
      return this;
    }

    /** Every attention and MLP projection (PEFT's "all-linear"). */
    public Builder allLinear() {
      return targetModules(ALL_LINEAR);
    }

    public Builder bias(Bias bias) {
      this.bias = bias;
      return this;
    }

    public Builder useRslora(boolean useRslora) {
      this.useRslora = useRslora;
      return this;
    }

    public Builder initLoraWeights(InitLoraWeights init) {
      this.initLoraWeights = init;
      return this;
    }

    public Builder layersToTransform(Integer... layers) {
      return layersToTransform(List.of(layers));
    }

    public Builder layersToTransform(List<Integer> layers) {
      this.layersToTransform = layers;
      return this;
    }

    public Builder layersPattern(String pattern) {
      this.layersPattern = pattern;
      return this;
    }

    public Builder fanInFanOut(boolean fanInFanOut) {
      this.fanInFanOut = fanInFanOut;
      return this;
    }

    public Builder modulesToSave(String... names) {
      return modulesToSave(List.of(names));
    }

    public Builder modulesToSave(List<String> names) {
      this.modulesToSave = names;
      return this;
    }

    public Builder rankPattern(Map<String, Integer> rankPattern) {
      this.rankPattern = rankPattern;
      return this;
    }

    public Builder alphaPattern(Map<String, Double> alphaPattern) {
      this.alphaPattern = alphaPattern;
      return this;
    }

    public Builder baseModelNameOrPath(String nameOrPath) {
      this.baseModelNameOrPath = nameOrPath;
      return this;
    }

    public LoraConfig build() {
      return new LoraConfig(
          r,
          loraAlpha,
          loraDropout,
          targetModules,
          targetRegex,
          bias,
          useRslora,
          initLoraWeights,
          layersToTransform,
          layersPattern,
          fanInFanOut,
          modulesToSave,
          rankPattern,
          alphaPattern,
          baseModelNameOrPath);
    }
  }
}
