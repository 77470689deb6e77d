package rlhf4j.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import rlhf4j.policy.family.Presets;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ModelConfig;

/** Analytic FLOPs: the yardstick's GPT-2 count, and every family's true projection shapes. */
class BenchSupportTest {
  @Test
  void gpt2FlopsAreTheYardsticks() {
    try (CausalLM model = Presets.create("nano", 0)) {
      ModelConfig c = model.config();
      double d = c.hiddenSize();
      long b = 2;
      long t = 5;
      long past = 3;
      double expected =
          2.0 * b * t * c.numLayers() * 12 * d * d
              + 4.0 * b * c.numLayers() * t * (past + t) * d
              + 2.0 * b * t * d * c.vocabSize();
      assertEquals(expected, BenchSupport.forwardFlops(model, b, t, past, t, 0), 1e-6 * expected);
    }
  }

  @Test
  void qwen3FlopsCountItsHeadWidthGroupedKeysAndGatedMlp() {
    try (CausalLM model = Presets.create("tiny-qwen3", 0)) {
      ModelConfig c = model.config();
      double d = c.hiddenSize();
      double qWidth = (double) c.numHeads() * c.headDim();
      double kvWidth = (double) c.numKvHeads() * c.headDim();
      double perLayer = d * qWidth + 2 * d * kvWidth + qWidth * d + 3 * d * c.intermediateSize();
      long b = 1;
      long t = 4;
      double expected =
          2.0 * b * t * c.numLayers() * perLayer
              + 4.0 * b * c.numLayers() * t * t * qWidth
              + 2.0 * b * 1 * d * c.vocabSize();
      assertEquals(expected, BenchSupport.forwardFlops(model, b, t, 0, 1, 0), 1e-6 * expected);
    }
  }
}
