package rlhf4j.reward.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.policy.io.CheckpointException;
import rlhf4j.policy.io.SafeTensors;
import rlhf4j.policy.lora.AdapterConfigFile;
import rlhf4j.policy.lora.LoraConfig;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.quant.BaseDtype;
import rlhf4j.policy.quant.QuantConfig;
import rlhf4j.reward.RewardFunction;

class RewardLoraTest {
  private static final int VOCAB = 32;
  private static final List<long[]> PROBE =
      List.of(new long[] {3, 1, 5}, new long[] {4, 2, 6, 7}, new long[] {9, 9, 1, 8, 2});

  @TempDir Path tmp;

  private static LoraConfig lora(String base) {
    return LoraConfig.builder().r(8).loraAlpha(16).allLinear().baseModelNameOrPath(base).build();
  }

  private static RewardTrainerConfig config() {
    return RewardTrainerConfig.builder()
        .optEpochs(4)
        .optBatchSize(16)
        .optEvalBatchSize(32)
        .optLearningRate(5e-3)
        .optSeed(7)
        .build();
  }

  private static Map<String, byte[]> bytes(Map<String, ai.djl.ndarray.NDArray> params) {
    Map<String, byte[]> out = new LinkedHashMap<>();
    params.forEach((k, v) -> out.put(k, v.toByteArray()));
    return out;
  }

  private static void train(QuantConfig quant, boolean checkpointing) {
    List<TokenizedPair> train = RewardTrainerTest.separablePairs(256, 1);
    List<TokenizedPair> eval = RewardTrainerTest.separablePairs(128, 2);
    try (RewardModel rm = RewardModel.random(TestModels.nano(VOCAB), 3, quant);
        RewardLora lora = RewardLora.inject(rm, lora(null), 0)) {
      Map<String, byte[]> base = bytes(rm.backbone().parameters());
      float[] head = rm.scoreWeight().toFloatArray();
      RewardTrainer trainer =
          new RewardTrainer(
              rm,
              config().toBuilder().optGradientCheckpointing(checkpointing).build(),
              lora.trainableParameters());
      RewardTrainer.Evaluation before = trainer.evaluate(eval);
      RewardTrainer.Result result = trainer.train(train, eval);
      System.out.printf(
          "LoRA reward model (%s%s): held-out accuracy %.4f -> %.4f%n",
          quant.baseDtype().configName(),
          checkpointing ? ", checkpointing" : "",
          before.accuracy(),
          result.eval().accuracy());
      assertTrue(before.accuracy() < 0.8, "untrained accuracy " + before.accuracy());
      assertTrue(result.eval().accuracy() >= 0.9, "held-out accuracy " + result.eval().accuracy());
      Map<String, byte[]> after = bytes(rm.backbone().parameters());
      for (String name : base.keySet()) {
        assertArrayEquals(base.get(name), after.get(name), "base weight changed: " + name);
      }
      assertFalse(Arrays.equals(head, rm.scoreWeight().toFloatArray()), "score head trains");
      assertEquals(quant.baseDtype(), rm.backbone().baseDtype());
    }
  }

  @Test
  void aLoraRewardModelLearnsTheSeparablePreferenceAndLeavesTheBaseUntouched() {
    train(QuantConfig.FP32, false);
  }

  @Test
  void anInt8BaseTrainsWithGradientCheckpointing() {
    train(QuantConfig.of(BaseDtype.INT8), true);
  }

  @Test
  void checkpointingGivesTheSameTrainedScores() {
    float[][] scores = new float[2][];
    for (int run = 0; run < 2; run++) {
      try (RewardModel rm = RewardModel.random(TestModels.nano(VOCAB), 3)) {
        new RewardTrainer(
                rm, config().toBuilder().optEpochs(1).optGradientCheckpointing(run == 1).build())
            .train(RewardTrainerTest.separablePairs(32, 12), List.of());
        scores[run] = rm.scoreIds(PROBE);
      }
    }
    assertArrayEquals(scores[0], scores[1], 1e-4f);
  }

  @Test
  void theSavedPeftFolderRoundTripsToTheSameRewards() throws Exception {
    Path baseDir = tmp.resolve("base");
    Path out = tmp.resolve("rm-lora");
    float[] trained;
    try (RewardModel rm = RewardModel.random(TestModels.nano(VOCAB), 3)) {
      rm.save(baseDir);
      try (RewardLora lora = RewardLora.inject(rm, lora(baseDir.toString()), 0)) {
        new RewardTrainer(rm, config().toBuilder().optEpochs(1).build(), lora.trainableParameters())
            .train(RewardTrainerTest.separablePairs(64, 3), List.of());
        trained = rm.scoreIds(PROBE);
        lora.save(out);
      }
    }
    JsonObject cfg =
        JsonParser.parseString(Files.readString(out.resolve(AdapterConfigFile.CONFIG)))
            .getAsJsonObject();
    assertEquals("SEQ_CLS", cfg.get("task_type").getAsString());
    assertEquals("[\"score\"]", cfg.get("modules_to_save").toString());
    assertEquals(baseDir.toString(), cfg.get("base_model_name_or_path").getAsString());
    SafeTensors.Contents st = SafeTensors.read(out.resolve(AdapterConfigFile.WEIGHTS));
    assertArrayEquals(new long[] {1, 32}, st.get("base_model.model.score.weight").shape());
    assertArrayEquals(
        new long[] {8, 32},
        st.get("base_model.model.transformer.h.0.attn.c_attn.lora_A.weight").shape());
    assertTrue(st.tensors().keySet().stream().noneMatch(k -> k.contains(".default.")));

    try (RewardLora loaded = RewardLora.load(out, null, QuantConfig.FP32)) {
      assertArrayEquals(trained, loaded.model().scoreIds(PROBE), 1e-6f);
    }
    // through the reward-model reward, the way ppo/grpo/rloo load it
    RewardFunction f =
        new RewardModelProvider()
            .create(Map.of("path", out.toString(), "base", baseDir.toString()));
    try {
      float[] viaProvider =
          f.score(
              PROBE.stream()
                  .map(ids -> new RewardFunction.Sample("", "", new long[0], ids))
                  .toList());
      assertArrayEquals(trained, viaProvider, 1e-6f);
    } finally {
      ((AutoCloseable) f).close();
    }
  }

  @Test
  void otherModulesToSaveAreRefusedNamingTheKey() {
    try (RewardModel rm = RewardModel.random(TestModels.nano(VOCAB), 3)) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () ->
                  RewardLora.inject(
                      rm,
                      lora(null).toBuilder()
                          .modulesToSave("score", "transformer.h.0.mlp.c_fc")
                          .build(),
                      0));
      assertTrue(e.getMessage().contains("lora.modules_to_save"), e.getMessage());
    }
  }

  @Test
  void aCausalLmAdapterOrAMissingBaseIsRefusedWithAHint() throws IOException {
    Path lmAdapter = tmp.resolve("lm-adapter");
    try (CausalLM lm = CausalLM.random(TestModels.nano(VOCAB), 1);
        LoraModel l = LoraModel.inject(lm, lora(null), 0)) {
      l.save(lmAdapter);
    }
    CheckpointException e =
        assertThrows(
            CheckpointException.class, () -> RewardLora.load(lmAdapter, null, QuantConfig.FP32));
    assertTrue(e.getMessage().contains("task_type"), e.getMessage());
    assertTrue(e.getMessage().contains("rlhf4j merge"), e.getMessage());

    Path out = tmp.resolve("preset-base");
    try (RewardModel rm = RewardModel.random(TestModels.nano(VOCAB), 3);
        RewardLora lora = RewardLora.inject(rm, lora("nano"), 0)) {
      lora.save(out);
    }
    e = assertThrows(CheckpointException.class, () -> RewardLora.load(out, null, QuantConfig.FP32));
    assertTrue(e.getMessage().contains("option base"), e.getMessage());
  }

  @Test
  void allLinearIsSavedAsTheModuleNamesThatPeftMatches() throws IOException {
    // PEFT reads "all-linear" only as a string; a list holding it matches no module there
    try (RewardLora rl =
        RewardLora.inject(
            RewardModel.load(rlhf4j.testing.Fixtures.path("hf/qwen3-rm")),
            LoraConfig.builder().r(2).allLinear().build(),
            3)) {
      rl.save(tmp.resolve("all-linear"));
    }
    JsonObject j =
        JsonParser.parseString(
                Files.readString(tmp.resolve("all-linear").resolve(AdapterConfigFile.CONFIG)))
            .getAsJsonObject();
    assertEquals(
        "[\"down_proj\",\"gate_proj\",\"k_proj\",\"o_proj\",\"q_proj\",\"up_proj\",\"v_proj\"]",
        j.get("target_modules").toString());
    assertEquals("[\"score\"]", j.get("modules_to_save").toString());
  }
}
