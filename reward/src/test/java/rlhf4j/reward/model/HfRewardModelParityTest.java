package rlhf4j.reward.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import rlhf4j.testing.Fixtures;

/**
 * Reward models built by transformers ({@code *ForSequenceClassification}, {@code num_labels 1})
 * give transformers' scores in rlhf4j: unpadded, left- and right-padded rows, and rows where the
 * pad id is an attended token (transformers scores the last token that is not the pad id, so a row
 * ending in it is scored one token earlier). Goldens from {@code
 * tools/fixtures/make_family_goldens.py}.
 */
class HfRewardModelParityTest {
  private static final double TOLERANCE = 1e-4;

  @ParameterizedTest
  @ValueSource(strings = {"llama", "qwen3", "gemma3"})
  void scoresMatchTransformers(String family) throws Exception {
    JsonObject golden =
        JsonParser.parseString(
                Files.readString(Fixtures.path("hf/logits/" + family + "-rm.scores.json")))
            .getAsJsonObject();
    try (RewardModel rm = RewardModel.load(Fixtures.path("hf/" + family + "-rm"));
        NDManager m = NDManager.newBaseManager()) {
      for (String key : new String[] {"plain", "left", "right", "pad_id_attended"}) {
        JsonObject c = golden.getAsJsonObject(key);
        long[][] ids = Fixtures.longRows(c.getAsJsonArray("ids"));
        JsonElement mask = c.get("attention_mask");
        long[][] ones = new long[ids.length][ids[0].length];
        Arrays.stream(ones).forEach(r -> Arrays.fill(r, 1));
        float[] scores =
            rm.forward(
                    array(m, ids),
                    array(m, mask.isJsonNull() ? ones : Fixtures.longRows(mask.getAsJsonArray())),
                    false)
                .toFloatArray();
        JsonArray want = c.getAsJsonArray("scores");
        assertEquals(want.size(), scores.length);
        for (int i = 0; i < scores.length; i++) {
          double err = Math.abs(scores[i] - want.get(i).getAsDouble());
          System.out.printf("rm %s %s row %d: |score err| %.3g%n", family, key, i, err);
          assertTrue(err < TOLERANCE, family + " " + key + " row " + i + ": " + scores[i]);
        }
      }
    }
  }

  private static NDArray array(NDManager m, long[][] rows) {
    return m.create(
        Arrays.stream(rows).flatMapToLong(Arrays::stream).toArray(),
        new Shape(rows.length, rows[0].length));
  }
}
