package rlhf4j.reward.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.reward.RewardFunction;
import rlhf4j.reward.RewardFunction.Sample;
import rlhf4j.reward.RewardFunctions;
import rlhf4j.reward.remote.ReferenceScorerServer;

class RewardModelProviderTest {
  static final List<String> WORDS = List.of("the", "plot", "was", "great", "dull", ".");

  @Test
  void rewardModelByFolderScoresTextsItsOwnWayWhateverIdsThePolicyUsed(@TempDir Path dir)
      throws Exception {
    float[] expected;
    List<Sample> texts =
        List.of(Sample.of("the plot was", " great ."), Sample.of("the plot was", " dull ."));
    try (RewardModel rm = RewardModel.random(TestModels.nano(3 + WORDS.size()), 7)) {
      rm.save(dir);
      TestModels.wordLevelTokenizer(dir, WORDS);
      try (Tokenizer tok = Tokenizer.load(dir)) {
        rm.optTokenizer(tok);
        expected = rm.score(texts);
      }
    }
    // the policy's ids (another vocabulary, out of the reward model's range) must not be used
    List<Sample> withPolicyIds =
        List.of(
            new Sample("the plot was", " great .", new long[] {900, 901}, new long[] {902}),
            new Sample("the plot was", " dull .", new long[] {900, 901}, new long[] {903}));
    RewardFunction loaded = RewardFunctions.load("reward-model", Map.of("path", dir.toString()));
    try {
      assertArrayEquals(expected, loaded.score(withPolicyIds), 1e-6f);
      assertTrue(expected[0] != expected[1], "two different sentences score differently");
    } finally {
      ((AutoCloseable) loaded).close();
    }
  }

  @Test
  void aFolderWithoutConfigIsRefusedByName(@TempDir Path dir) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> RewardFunctions.load("reward-model", Map.of("path", dir.toString())));
    assertTrue(e.getMessage().contains(dir.toString()) && e.getMessage().contains("config.json"));
    assertThrows(
        IllegalArgumentException.class,
        () -> RewardFunctions.load("reward-model", Map.of("folder", dir.toString())),
        "an unknown option is an error");
  }

  @Test
  void remoteByUrlScoresThroughTheServer() throws Exception {
    try (ReferenceScorerServer server =
        ReferenceScorerServer.start(
            batch -> {
              float[] s = new float[batch.size()];
              for (int i = 0; i < s.length; i++) {
                s[i] = batch.get(i).response().length();
              }
              return s;
            })) {
      RewardFunction remote =
          RewardFunctions.load(
              "remote", Map.of("url", server.uri().toString(), "max_retries", "0"));
      try {
        assertArrayEquals(
            new float[] {3, 5},
            remote.score(List.of(Sample.of("p", "abc"), Sample.of("q", "hello"))),
            0f);
      } finally {
        ((AutoCloseable) remote).close();
      }
    }
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> RewardFunctions.load("remote", Map.of("url", "ftp://example.org/score")));
    assertTrue(e.getMessage().contains("ftp://example.org/score"), e.getMessage());
  }
}
