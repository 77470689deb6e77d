package rlhf4j.policy.lora;

import ai.djl.ndarray.NDArray;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.testing.PeftExport;

/**
 * Writes adapters saved by rlhf4j, their base models and rlhf4j's logits for {@code
 * tools/fixtures/check_peft_roundtrip.py}, which loads them with transformers + peft and compares.
 * Runs only with {@code -Drlhf4j.peftExport=DIR}:
 *
 * <pre>
 * mvn -o -pl policy -am test -Dtest=PeftExportTest -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Drlhf4j.peftExport=/tmp/peft-export
 * python3 tools/fixtures/check_peft_roundtrip.py /tmp/peft-export
 * </pre>
 */
@EnabledIfSystemProperty(named = "rlhf4j.peftExport", matches = ".+")
class PeftExportTest {
  private final JsonArray entries = new JsonArray();

  @Test
  void exportAdaptersAndLogitsForPeft() throws IOException {
    Path out = Path.of(System.getProperty("rlhf4j.peftExport")).toAbsolutePath();
    Files.createDirectories(out);

    // GPT-2: all linear layers with trainable biases (bias="all") as "default", plus a second,
    // non-default adapter with rsLoRA saved in gpt2-tiny/second/.
    try (CausalLM model = base(out, "gpt2-tiny");
        LoraModel lora =
            LoraModel.inject(
                model,
                LoraConfig.builder()
                    .r(4)
                    .loraAlpha(8)
                    .allLinear()
                    .bias(LoraConfig.Bias.ALL)
                    .baseModelNameOrPath("gpt2-tiny")
                    .build(),
                101)) {
      trainLike(lora, 102);
      float[] first = LoraTesting.logits(model);
      lora.addAdapter(
          "second",
          LoraConfig.builder().r(2).loraAlpha(4).targetModules("c_attn").useRslora(true).build(),
          103);
      lora.setActive("second");
      trainLike(lora, 104);
      float[] second = LoraTesting.logits(model);
      lora.save(out.resolve("gpt2-tiny"));
      entry(out, "gpt2-tiny", "gpt2-tiny", "default", null, first);
      entry(out, "gpt2-tiny", "gpt2-tiny/second", "second", "gpt2-tiny", second);
    }

    // Llama: every projection, rsLoRA, per-module rank and alpha, a named adapter; plus the merged
    // checkpoint written by mergeAndSave (checked with plain transformers).
    try (CausalLM model = base(out, "llama-tiny");
        LoraModel lora =
            LoraModel.inject(
                model,
                LoraConfig.builder()
                    .r(4)
                    .loraAlpha(16)
                    .allLinear()
                    .useRslora(true)
                    .rankPattern(Map.of("v_proj", 2))
                    .alphaPattern(Map.of("o_proj", 4.0))
                    .build(),
                "policy",
                201)) {
      trainLike(lora, 202);
      float[] logits = LoraTesting.logits(model);
      lora.saveAdapter("policy", out.resolve("llama-tiny"));
      entry(out, "llama-tiny", "llama-tiny", "policy", null, logits);
      lora.mergeAndSave(out.resolve("llama-tiny-merged"));
      merged(out, "llama-tiny", logits);
    }

    // GPT-NeoX: attention only in block 1, gaussian init, dropout (inactive in eval), and a
    // trained copy of the output head (modules_to_save).
    try (CausalLM model = base(out, "neox-tiny");
        LoraModel lora =
            LoraModel.inject(
                model,
                LoraConfig.builder()
                    .r(4)
                    .loraAlpha(8)
                    .loraDropout(0.1)
                    .targetModules("query_key_value", "dense")
                    .layersToTransform(1)
                    .initLoraWeights(LoraConfig.InitLoraWeights.GAUSSIAN)
                    .modulesToSave("embed_out")
                    .build(),
                301)) {
      trainLike(lora, 302);
      float[] logits = LoraTesting.logits(model);
      lora.save(out.resolve("neox-tiny"));
      entry(out, "neox-tiny", "neox-tiny", "default", null, logits);
    }

    // The newer families: an adapter on every linear layer (Phi-3's fused qkv_proj and
    // gate_up_proj included) and the merged checkpoint rlhf4j writes, whose config.json
    // transformers must read back as the same model (rope_parameters, layer_types, soft-capping).
    long seed = 401;
    for (String name :
        new String[] {
          "qwen3-tiny",
          "llama32-tiny",
          "mistral-window-tiny",
          "gemma3-tiny",
          "olmo2-tiny",
          "phi3-tiny"
        }) {
      try (CausalLM model = base(out, name);
          LoraModel lora =
              LoraModel.inject(
                  model, LoraConfig.builder().r(4).loraAlpha(8).allLinear().build(), seed++)) {
        trainLike(lora, seed++);
        float[] logits = LoraTesting.logits(model);
        lora.save(out.resolve(name));
        entry(out, name, name, "default", null, logits);
        lora.mergeAndSave(out.resolve(name + "-merged"));
        merged(out, name, logits);
      }
    }

    PeftExport.writeManifest(out, LoraTesting.IDS, entries);
    System.out.println("PEFT export written to " + out);
  }

  /** Copies the base fixture into the export folder (so it is self-contained) and loads it. */
  private static CausalLM base(Path out, String name) throws IOException {
    PeftExport.copyBase(out, name);
    return LoraTesting.tiny(name);
  }

  /** Gives every trainable array of the active adapter seeded nonzero values, as training would. */
  private static void trainLike(LoraModel lora, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    for (Map.Entry<String, NDArray> e : lora.trainableParameters().entrySet()) {
      NDArray a = e.getValue();
      float[] v = a.toFloatArray();
      double std = e.getKey().contains(".lora_") ? 0.1 : 0.05;
      for (int i = 0; i < v.length; i++) {
        double g =
            Math.sqrt(-2 * Math.log(1 - rng.nextDouble()))
                * Math.cos(2 * Math.PI * rng.nextDouble());
        v[i] = e.getKey().contains(".lora_B.") ? (float) (std * g) : v[i] + (float) (std * g);
      }
      a.set(v);
    }
  }

  private void entry(
      Path out,
      String base,
      String adapterDir,
      String adapterName,
      String loadAfter,
      float[] logits)
      throws IOException {
    JsonObject e = new JsonObject();
    e.addProperty("name", adapterDir + " (" + adapterName + ")");
    e.addProperty("base", "base/" + base);
    e.addProperty("adapter", adapterDir);
    e.addProperty("adapter_name", adapterName);
    if (loadAfter != null) {
      e.addProperty("load_after", loadAfter); // also check PEFT's load_adapter + set_adapter path
    }
    e.addProperty(
        "logits", writeLogits(out, adapterDir.replace('/', '.') + "." + adapterName, logits));
    entries.add(e);
  }

  /** An entry for the checkpoint {@code mergeAndSave} wrote to {@code NAME-merged}. */
  private void merged(Path out, String name, float[] logits) throws IOException {
    JsonObject merged = new JsonObject();
    merged.addProperty("name", name + " merged checkpoint");
    merged.addProperty("merged_model", name + "-merged");
    merged.addProperty("logits", writeLogits(out, name + "-merged", logits));
    entries.add(merged);
  }

  private static String writeLogits(Path out, String stem, float[] flat) throws IOException {
    int b = LoraTesting.IDS.length;
    int t = LoraTesting.IDS[0].length;
    int v = flat.length / (b * t);
    JsonArray rows = new JsonArray();
    for (int i = 0; i < b; i++) {
      JsonArray seq = new JsonArray();
      for (int j = 0; j < t; j++) {
        JsonArray logit = new JsonArray();
        for (int k = 0; k < v; k++) {
          logit.add(flat[(i * t + j) * v + k]);
        }
        seq.add(logit);
      }
      rows.add(seq);
    }
    JsonObject o = new JsonObject();
    o.add("logits", rows);
    String name = "logits/" + stem + ".json";
    Files.createDirectories(out.resolve("logits"));
    Files.writeString(out.resolve(name), o.toString());
    return name;
  }
}
