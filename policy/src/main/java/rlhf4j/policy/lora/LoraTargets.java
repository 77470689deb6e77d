package rlhf4j.policy.lora;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.Linear;

/**
 * Which modules of one {@link CausalLM} an adapter touches, with PEFT's rules (its {@code
 * check_target_module_exists} and {@code _mark_only_adapters_as_trainable}): target names match the
 * end of a module path, a regex the whole path, {@code all-linear} every linear module but the LM
 * head; {@code layers_to_transform} / {@code layers_pattern} keep some blocks; {@code
 * modules_to_save} names whole modules to copy; {@code bias} names the base biases that train.
 * Ranks and alphas per module come from {@link LoraConfig#rankFor} and {@link
 * LoraConfig#scalingFor}.
 */
final class LoraTargets {
  private static final Logger LOG = LoggerFactory.getLogger(LoraTargets.class);
  private static final Pattern ANY_LAYER_INDEX = Pattern.compile(".*\\.[^.]*\\.(\\d+)\\.");

  private final CausalLM model;
  private final List<String> defaultTargets;
  private final Map<String, Linear> modules = new LinkedHashMap<>(); // path → linear, model order

  /**
   * @param defaultTargets the names used when a config names no target (PEFT's per-family default)
   */
  LoraTargets(CausalLM model, List<String> defaultTargets) {
    this.model = model;
    this.defaultTargets = List.copyOf(defaultTargets);
    for (Linear l : model.linears()) {
      modules.put(l.path(), l);
    }
    modules.put(model.lmHead().path(), model.lmHead());
  }

  /** Every module that can carry an adapter (the linear layers and the LM head), in model order. */
  Collection<Linear> modules() {
    return modules.values();
  }

  /** The module at HF path {@code path}. */
  Linear module(String path) {
    return modules.get(path);
  }

  /**
   * Resolves default and all-linear targets to names and applies PEFT's fan_in_fan_out fix.
   *
   * @throws IllegalArgumentException if a target matches nothing (see {@link #targets})
   */
  LoraConfig resolve(LoraConfig c) {
    c = headNamedLmHead(c);
    LoraConfig.Builder b = c.toBuilder();
    if (c.targetModules() == null && c.targetRegex() == null) {
      b.targetModules(defaultTargets);
    } else if (c.targetModules() != null && c.targetModules().contains(LoraConfig.ALL_LINEAR)) {
      Set<String> names = new TreeSet<>();
      for (Linear l : model.linears()) {
        names.add(l.shortName());
      }
      for (String t : c.targetModules()) {
        if (!t.equals(LoraConfig.ALL_LINEAR)) {
          names.add(t);
        }
      }
      b.targetModules(new ArrayList<>(names));
    }
    LoraConfig r = b.build();
    List<Linear> targets = targets(r);
    boolean conv1d = targets.stream().anyMatch(Linear::hfTransposed);
    if (conv1d && !r.fanInFanOut()) {
      LOG.info(
          "fan_in_fan_out is false but target modules are GPT-2 Conv1D; setting it to true (as"
              + " PEFT does)");
      r = r.toBuilder().fanInFanOut(true).build();
    } else if (!conv1d && r.fanInFanOut()) {
      LOG.warn(
          "fan_in_fan_out is true but the target modules are torch Linear; setting it to false"
              + " (as PEFT does)");
      r = r.toBuilder().fanInFanOut(false).build();
    }
    return r;
  }

  /**
   * {@code c} with the LM head called {@link CausalLM#LM_HEAD} where it names the head by the
   * checkpoints' module name ({@code embed_out} in GPT-NeoX adapters made with transformers 4), so
   * that rlhf4j reads those adapters and writes what PEFT on transformers 5 matches.
   */
  private LoraConfig headNamedLmHead(LoraConfig c) {
    String legacy = model.lmHeadCheckpointModule();
    if (legacy.equals(CausalLM.LM_HEAD)) {
      return c;
    }
    UnaryOperator<String> rename = n -> n.equals(legacy) ? CausalLM.LM_HEAD : n;
    LoraConfig.Builder b = c.toBuilder();
    if (c.targetModules() != null) {
      b.targetModules(c.targetModules().stream().map(rename).toList());
    }
    b.modulesToSave(c.modulesToSave().stream().map(rename).toList());
    Map<String, Integer> ranks = new LinkedHashMap<>();
    c.rankPattern().forEach((k, v) -> ranks.put(rename.apply(k), v));
    Map<String, Double> alphas = new LinkedHashMap<>();
    c.alphaPattern().forEach((k, v) -> alphas.put(rename.apply(k), v));
    return b.rankPattern(ranks).alphaPattern(alphas).build();
  }

  /**
   * The modules a resolved config {@code c} adapts, in model order; every named target must match
   * something.
   */
  List<Linear> targets(LoraConfig c) {
    List<Linear> out = new ArrayList<>();
    if (c.targetRegex() != null) {
      Pattern p = Pattern.compile(c.targetRegex());
      for (Linear l : modules.values()) {
        if (p.matcher(l.path()).matches()) {
          out.add(l);
        }
      }
      if (out.isEmpty()) {
        throw new IllegalArgumentException(
            "target regex \""
                + c.targetRegex()
                + "\" matches no module path of this "
                + model.config().modelType()
                + " model (paths look like \""
                + model.linears().get(0).path()
                + "\"; the regex must match the whole path)");
      }
      return out;
    }
    List<String> unmatched = new ArrayList<>();
    for (String t : c.targetModules()) {
      boolean hit = false;
      for (Linear l : modules.values()) {
        if (matchesName(l.path(), t)) {
          hit = true;
        }
      }
      if (!hit) {
        unmatched.add(t);
      }
    }
    if (!unmatched.isEmpty()) {
      throw new IllegalArgumentException(
          "target module(s) "
              + unmatched
              + " match no module of this "
              + model.config().modelType()
              + " model; its linear modules are "
              + shortNames()
              + " and the LM head \""
              + model.lmHead().path()
              + "\" (names match the end of a module path)");
    }
    for (Linear l : modules.values()) {
      boolean named = c.targetModules().stream().anyMatch(t -> matchesName(l.path(), t));
      if (named && inLayers(l.path(), c)) {
        out.add(l);
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(
          "layersToTransform "
              + c.layersToTransform()
              + (c.layersPattern() == null
                  ? ""
                  : " with layersPattern \"" + c.layersPattern() + "\"")
              + " selects none of the targeted modules; this model has blocks 0.."
              + (model.config().numLayers() - 1));
    }
    for (Linear l : out) {
      if (c.modulesToSave().stream().anyMatch(m -> matchesName(l.path(), m))) {
        throw new IllegalArgumentException(
            "module "
                + l.path()
                + " is both a LoRA target and in modulesToSave; pick one of the two");
      }
    }
    return out;
  }

  /** The linear modules {@code c.modulesToSave()} names, in the order named. */
  List<Linear> modulesToSave(LoraConfig c) {
    List<Linear> out = new ArrayList<>();
    for (String name : c.modulesToSave()) {
      boolean hit = false;
      for (Linear l : modules.values()) {
        if (matchesName(l.path(), name)) {
          hit = true;
          if (!out.contains(l)) {
            out.add(l);
          }
        }
      }
      if (!hit) {
        boolean nonLinear =
            model.parameters().keySet().stream()
                .anyMatch(p -> matchesName(p.substring(0, p.lastIndexOf('.')), name));
        throw new IllegalArgumentException(
            "modulesToSave \""
                + name
                + "\" "
                + (nonLinear
                    ? "names a module that is not a linear layer; rlhf4j copies linear modules only"
                    : "matches no module of this " + model.config().modelType() + " model")
                + " (linear modules: "
                + shortNames()
                + ", LM head \""
                + model.lmHead().path()
                + "\")");
      }
    }
    return out;
  }

  /**
   * Base biases adapter {@code a} trains ({@code bias = all | lora_only}), model parameter name →
   * PEFT key without the prefix ({@code <path>.base_layer.bias} for modules that any of {@code all}
   * wraps as a LoRA layer, as PEFT's state dict names them). Empty with {@code bias = none}.
   */
  Map<String, String> trainableBiases(LoraAdapter a, Collection<LoraAdapter> all) {
    Map<String, String> out = new LinkedHashMap<>();
    if (a.config.bias() == LoraConfig.Bias.NONE) {
      return out;
    }
    Set<String> wrapped = new LinkedHashSet<>(); // modules PEFT wraps as LoRA layers
    for (LoraAdapter other : all) {
      wrapped.addAll(other.layers.keySet());
    }
    wrapped.addAll(a.layers.keySet());
    for (String p : model.parameters().keySet()) {
      if (!p.endsWith(".bias")) {
        continue;
      }
      String module = p.substring(0, p.length() - ".bias".length());
      boolean adapted = a.layers.containsKey(module);
      if (a.config.bias() == LoraConfig.Bias.LORA_ONLY && !adapted) {
        continue;
      }
      if (a.copies.containsKey(module)) {
        continue; // the copy's own bias trains instead
      }
      out.put(p, wrapped.contains(module) ? module + ".base_layer.bias" : p);
    }
    return out;
  }

  /** The first module path, to show what this model's names look like in error messages. */
  String examplePath() {
    return model.linears().get(0).path();
  }

  /** PEFT's layers_to_transform rule: the index after the layer list's name must be listed. */
  private static boolean inLayers(String path, LoraConfig c) {
    if (c.layersToTransform() == null) {
      return true;
    }
    Matcher m =
        c.layersPattern() == null
            ? ANY_LAYER_INDEX.matcher(path)
            : Pattern.compile(".*\\." + c.layersPattern() + "\\.(\\d+)\\.").matcher(path);
    if (!m.lookingAt()) {
      return false;
    }
    return c.layersToTransform().contains(Integer.parseInt(m.group(1)));
  }

  private static boolean matchesName(String path, String name) {
    return path.equals(name) || path.endsWith("." + name);
  }

  private Set<String> shortNames() {
    Set<String> s = new TreeSet<>();
    for (Linear l : model.linears()) {
      s.add(l.shortName());
    }
    return s;
  }
}
