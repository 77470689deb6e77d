package rlhf4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import rlhf4j.cli.config.ConfigFile;
import rlhf4j.cli.config.ConfigSection;
import rlhf4j.policy.lora.LoraConfig;
import rlhf4j.policy.quant.BaseDtype;

/**
 * The optional {@code lora} section of the commands that otherwise train every base weight ({@code
 * sft}, {@code train-reward}): present, a LoRA adapter on the frozen base (PEFT's keys and the
 * defaults of ppo, grpo, rloo and dpo, plus {@code seed}); absent, full fine-tuning, which a
 * quantised {@code model.base_dtype} cannot do.
 *
 * @param config the adapter, or null without the section
 * @param seed the adapter's initialisation seed ({@code lora.seed}, default 0)
 * @param section the section, for errors naming its keys; null without it
 */
record OptionalLora(LoraConfig config, long seed, ConfigSection section) {

  /**
   * Reads {@code f}'s {@code lora} section, if any.
   *
   * @throws IllegalArgumentException naming {@code file} and the key: a bad lora key or value, or a
   *     quantised base without a lora section (the {@code command} would train it)
   */
  static OptionalLora read(ConfigFile f, ModelSource model, Path file, String command) {
    if (f.has("lora")) {
      List<String> keys = new ArrayList<>(PpoRunConfig.LORA_KEYS.keySet());
      keys.add("seed");
      ConfigSection l = f.section("lora", keys);
      return new OptionalLora(PpoRunConfig.readLora(l), l.get("seed", Long.class, 0L), l);
    }
    if (model.baseDtype() != BaseDtype.FP32) {
      throw new IllegalArgumentException(
          file
              + ": model.base_dtype "
              + model.baseDtype().configName()
              + " stores the base frozen, but without a lora section "
              + command
              + " trains every base weight; add a lora section (e.g. lora: {r: 16, lora_alpha:"
              + " 32}) or remove model.base_dtype");
    }
    return new OptionalLora(null, 0, null);
  }
}
