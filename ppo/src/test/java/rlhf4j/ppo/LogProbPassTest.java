package rlhf4j.ppo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.util.List;
import org.junit.jupiter.api.Test;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ResponseBatch;
import rlhf4j.policy.model.ValueHead;
import rlhf4j.reference.AdapterSwitchingReference;

class LogProbPassTest {

  @Test
  void rowsPerChunkFillsTheLogitsBudgetButNeverGoesBelowTheMinimum() {
    long gpt2 = 50_257;
    // 32 response tokens x 50,257 x 4 bytes = 6.4 MB a row: 10 rows fit 64 MiB
    assertEquals(10, LogProbPass.rowsPerChunk(2, 32, gpt2, LogProbPass.LOGITS_BUDGET_BYTES));
    // Qwen3's 151,936 tokens: 19.4 MB a row, 3 rows
    assertEquals(3, LogProbPass.rowsPerChunk(2, 32, 151_936, LogProbPass.LOGITS_BUDGET_BYTES));
    // a row bigger than the budget: the trainer's minimum still holds
    assertEquals(2, LogProbPass.rowsPerChunk(2, 1024, 151_936, LogProbPass.LOGITS_BUDGET_BYTES));
    assertEquals(1, LogProbPass.rowsPerChunk(1, 4, 32, 512)); // exactly one row's 512 bytes
    assertEquals(3, LogProbPass.rowsPerChunk(1, 4, 32, 3 * 512 + 511));
  }

  @Test
  void oneBigChunkGivesWhatRowByRowChunksGive() {
    List<long[]> queries =
        List.of(new long[] {1, 2, 3}, new long[] {4}, new long[] {5, 6}, new long[] {7, 8, 9});
    List<long[]> responses =
        List.of(
            new long[] {10, 11, 12, 13},
            new long[] {14},
            new long[] {15, 16, 17},
            new long[] {18, 19});
    try (CausalLM model = CausalLM.random(TinyTask.gpt2(), 5);
        LoraModel lora = RefAdapterTrainingTest.pretrained(model);
        NDManager m = NDManager.newBaseManager();
        ValueHead head = ValueHead.create(m, model.config().hiddenSize(), true, 0)) {
      ResponseBatch batch = ResponseBatch.of(m, queries, responses, 0);
      AdapterSwitchingReference ref = new AdapterSwitchingReference(lora);
      long rowBytes = 4L * TinyTask.VOCAB * Float.BYTES; // T = 4
      LogProbPass.Result rowByRow =
          new LogProbPass(model, head, ref, 1, 0.7, rowBytes).run(m, batch, true, false);
      LogProbPass.Result whole =
          new LogProbPass(model, head, ref, 1, 0.7, 4 * rowBytes).run(m, batch, true, false);
      float[] lp = rowByRow.logProbs().toFloatArray();
      assertArrayEquals(lp, whole.logProbs().toFloatArray(), 1e-5f);
      assertArrayEquals(
          rowByRow.refLogProbs().toFloatArray(), whole.refLogProbs().toFloatArray(), 1e-5f);
      assertArrayEquals(rowByRow.values().toFloatArray(), whole.values().toFloatArray(), 1e-5f);
      // the adapter moved the policy away from the reference: the two passes really differ
      float[] refLp = whole.refLogProbs().toFloatArray();
      double diff = 0;
      for (int i = 0; i < lp.length; i++) {
        diff = Math.max(diff, Math.abs(lp[i] - refLp[i]));
      }
      assertEquals(4 * 4, lp.length);
      assertTrue(diff > 1e-3, "policy == reference: " + diff);
    }
  }
}
