package rlhf4j.reward.remote;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import rlhf4j.reward.RewardException;
import rlhf4j.reward.RewardFunction;
import rlhf4j.reward.RewardFunction.Sample;

/** Remote scorer against the loopback reference server, with injected faults. */
@Timeout(10)
class RemoteRewardFunctionTest {
  private static final String TOKEN_VAR = "RLHF4J_TEST_SCORER_TOKEN";
  private static final String SECRET = "Bearer s3cr3t-t0ken-value";

  /** Scores each sample with its response parsed as a number, so order is visible. */
  private static final RewardFunction PARSE =
      RewardFunction.named(
          "parse",
          batch -> {
            float[] s = new float[batch.size()];
            for (int i = 0; i < s.length; i++) {
              s[i] = Float.parseFloat(batch.get(i).response());
            }
            return s;
          });

  private ReferenceScorerServer server;
  private final List<RemoteRewardFunction> clients = new ArrayList<>();

  @BeforeEach
  void startServer() throws IOException {
    server = ReferenceScorerServer.start(PARSE);
  }

  @AfterEach
  void stopAll() {
    clients.forEach(RemoteRewardFunction::close);
    server.close();
  }

  /**
   * Short backoff so the class runs in seconds. The read timeout stays generous (a loaded machine
   * may take a while on a cold first request); the timeout tests shorten it to 200 ms.
   */
  private RemoteScorerConfig.Builder fast() {
    return RemoteScorerConfig.builder(server.uri())
        .connectTimeout(Duration.ofMillis(500))
        .readTimeout(Duration.ofSeconds(3))
        .maxRetries(2)
        .initialBackoff(Duration.ofMillis(10))
        .maxBackoff(Duration.ofMillis(40));
  }

  private RemoteRewardFunction client(RemoteScorerConfig config) {
    RemoteRewardFunction c = new RemoteRewardFunction(config, Map.of(TOKEN_VAR, SECRET)::get);
    clients.add(c);
    return c;
  }

  private static List<Sample> numbered(int n) {
    return IntStream.range(0, n).mapToObj(i -> Sample.of("prompt " + i, "" + i)).toList();
  }

  private static float[] range(int n) {
    float[] s = new float[n];
    for (int i = 0; i < n; i++) {
      s[i] = i;
    }
    return s;
  }

  @Test
  void scoresComeBackFromTheServer() {
    assertArrayEquals(new float[] {0f, 1f, 2f}, client(fast().build()).score(numbered(3)));
    assertEquals(1, server.requestCount());
  }

  @Test
  void http500ThenSuccessIsRetriedAndServerSeesTwoRequests() {
    server.failNextRequests(1);
    assertArrayEquals(range(4), client(fast().build()).score(numbered(4)));
    assertEquals(2, server.requestCount());
  }

  @Test
  void http429IsRetried() {
    server.failNextRequests(2, 429);
    assertArrayEquals(range(2), client(fast().build()).score(numbered(2)));
    assertEquals(3, server.requestCount());
  }

  @Test
  void persistent500FailsAfterAllAttemptsNamingStatus() {
    server.failNextRequests(100);
    RewardException e =
        assertThrows(RewardException.class, () -> client(fast().build()).score(numbered(2)));
    assertEquals(3, server.requestCount()); // 1 + maxRetries
    assertTrue(e.getMessage().contains("after 3 attempts"), e.getMessage());
    assertTrue(e.getMessage().contains("HTTP 500"), e.getMessage());
    assertTrue(e.getMessage().contains(server.uri().toString()), e.getMessage());
  }

  @Test
  void client4xxIsNotRetried() {
    server.failNextRequests(1, 400);
    RewardException e =
        assertThrows(RewardException.class, () -> client(fast().build()).score(numbered(2)));
    assertEquals(1, server.requestCount());
    assertTrue(e.getMessage().contains("HTTP 400 (not retried)"), e.getMessage());
  }

  @Test
  void timeoutIsRetriedThenSucceeds() {
    server.delayNextRequests(1, Duration.ofSeconds(3));
    RemoteRewardFunction c =
        client(fast().readTimeout(Duration.ofMillis(200)).maxRetries(5).build());
    assertArrayEquals(range(3), c.score(numbered(3)));
    // the delayed request timed out and was sent again (more than twice only on a slow machine)
    assertTrue(server.requestCount() >= 2, "requests: " + server.requestCount());
  }

  @Test
  void persistentTimeoutsAreRetriedThenFailClearly() {
    server.delayNextRequests(100, Duration.ofSeconds(3));
    RemoteRewardFunction c =
        client(fast().readTimeout(Duration.ofMillis(200)).maxRetries(1).build());
    RewardException e = assertThrows(RewardException.class, () -> c.score(numbered(2)));
    assertTrue(server.requestCount() <= 2, "requests: " + server.requestCount());
    assertTrue(e.getMessage().contains("after 2 attempts"), e.getMessage());
    assertTrue(e.getMessage().contains("readTimeout 200 ms"), e.getMessage());
    assertTrue(e.getMessage().contains("samples [0, 2)"), e.getMessage());
  }

  @Test
  void bodyTrickledPastTheDeadlineIsCutOffAndRetried() {
    server.trickleNextRequests(1, Duration.ofMillis(50)); // ~12 bytes/answer: 600 ms > 300 ms
    RemoteRewardFunction c =
        client(fast().readTimeout(Duration.ofMillis(300)).maxRetries(2).build());
    long t0 = System.nanoTime();
    assertArrayEquals(range(3), c.score(numbered(3)));
    assertTrue(server.requestCount() >= 2, "requests: " + server.requestCount());
    assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "took too long");
  }

  @Test
  void bodyThatNeverFinishesFailsAtTheDeadlineInsteadOfHanging() {
    server.trickleNextRequests(100, Duration.ofMillis(200)); // ~2.4 s per answer
    RemoteRewardFunction c =
        client(fast().readTimeout(Duration.ofMillis(300)).maxRetries(1).build());
    long t0 = System.nanoTime();
    RewardException e = assertThrows(RewardException.class, () -> c.score(numbered(3)));
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(ms < 2_000, "2 attempts of 300 ms took " + ms + " ms");
    assertTrue(e.getMessage().contains("after 2 attempts"), e.getMessage());
    assertTrue(e.getMessage().contains("readTimeout 300 ms"), e.getMessage());
  }

  @Test
  void oversizedChunkedBodyIsRefusedAtOnceWithoutRetry() {
    server.oversizeNextRequests(100, 64L << 20); // 64 MiB of padding, no Content-Length
    RemoteRewardFunction c = client(fast().maxResponseBytes(4096).build());
    RewardException e = assertThrows(RewardException.class, () -> c.score(numbered(3)));
    assertEquals(1, server.requestCount());
    assertTrue(e.getMessage().contains("maxResponseBytes = 4096"), e.getMessage());
    assertTrue(e.getMessage().contains("max_response_bytes"), e.getMessage());
  }

  @Test
  void declaredLengthOverTheLimitIsRefusedBeforeReading() {
    RemoteRewardFunction c = client(fast().maxResponseBytes(5).build());
    RewardException e = assertThrows(RewardException.class, () -> c.score(numbered(3)));
    assertEquals(1, server.requestCount());
    assertTrue(e.getMessage().contains("over maxResponseBytes = 5"), e.getMessage());
  }

  @Test
  void answerWithinTheLimitIsRead() {
    server.oversizeNextRequests(1, 1000);
    assertArrayEquals(range(3), client(fast().maxResponseBytes(4096).build()).score(numbered(3)));
  }

  @Test
  void wrongLengthAnswerFailsClearlyWithoutRetry() {
    server.wrongLengthNextRequests(1);
    RewardException e =
        assertThrows(RewardException.class, () -> client(fast().build()).score(numbered(3)));
    assertEquals(1, server.requestCount());
    assertTrue(e.getMessage().contains("2 scores for 3 samples"), e.getMessage());
  }

  @Test
  void malformedJsonFailsClearlyWithoutRetry() {
    server.malformedJsonNextRequests(1);
    RewardException e =
        assertThrows(RewardException.class, () -> client(fast().build()).score(numbered(3)));
    assertEquals(1, server.requestCount());
    assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
    assertTrue(e.getMessage().contains("body starts: {\"scores\""), e.getMessage());
  }

  @Test
  void batchSplittingPreservesOrder() {
    RemoteRewardFunction c = client(fast().maxBatchSize(3).maxConcurrency(3).build());
    assertArrayEquals(range(10), c.score(numbered(10)));
    assertEquals(4, server.requestCount());
    List<Integer> sizes = new ArrayList<>(server.batchSizes());
    sizes.sort(null);
    assertEquals(List.of(1, 3, 3, 3), sizes);
  }

  @Test
  void concurrencyBoundIsRespected() {
    server.delayNextRequests(100, Duration.ofMillis(30));
    RemoteRewardFunction c =
        client(fast().readTimeout(Duration.ofSeconds(5)).maxBatchSize(1).maxConcurrency(2).build());
    assertArrayEquals(range(12), c.score(numbered(12)));
    assertEquals(12, server.requestCount());
    assertTrue(server.maxInFlight() <= 2, "server saw " + server.maxInFlight() + " in flight");
  }

  @Test
  void authHeaderIsSentButAbsentFromErrorMessages() {
    RemoteRewardFunction c = client(fast().authEnvVar(TOKEN_VAR).build());
    assertArrayEquals(range(2), c.score(numbered(2)));
    assertEquals(List.of(SECRET), server.headerValues("Authorization"));

    server.failNextRequests(100);
    RewardException retried = assertThrows(RewardException.class, () -> c.score(numbered(2)));
    assertNoSecret(retried);
    server.failNextRequests(1, 401);
    RewardException rejected = assertThrows(RewardException.class, () -> c.score(numbered(2)));
    assertNoSecret(rejected);
    assertTrue(rejected.getMessage().contains(TOKEN_VAR), rejected.getMessage());
    assertFalse(c.config().toString().contains(SECRET));
  }

  @Test
  void secretEchoedByTheServerIsRedacted() throws IOException {
    try (ReferenceScorerServer echo =
        ReferenceScorerServer.start(
            b -> {
              throw new IllegalStateException("bad token " + SECRET);
            })) {
      RemoteRewardFunction c =
          client(
              RemoteScorerConfig.builder(echo.uri())
                  .maxRetries(0)
                  .readTimeout(Duration.ofSeconds(2))
                  .authEnvVar(TOKEN_VAR)
                  .build());
      RewardException e = assertThrows(RewardException.class, () -> c.score(numbered(1)));
      assertTrue(e.getMessage().contains("bad token <redacted>"), e.getMessage());
      assertNoSecret(e);
    }
  }

  @Test
  void unsetAuthVariableFailsNamingTheVariableOnly() {
    RemoteScorerConfig config = fast().authEnvVar("RLHF4J_UNSET_VAR").build();
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class, () -> new RemoteRewardFunction(config, name -> null));
    assertTrue(e.getMessage().contains("RLHF4J_UNSET_VAR"), e.getMessage());
  }

  @Test
  void connectionRefusedIsRetriedThenFails() throws IOException {
    URI dead;
    try (ReferenceScorerServer gone = ReferenceScorerServer.start(PARSE)) {
      dead = gone.uri();
    }
    RemoteRewardFunction c =
        client(
            RemoteScorerConfig.builder(dead)
                .connectTimeout(Duration.ofMillis(200))
                .maxRetries(1)
                .initialBackoff(Duration.ofMillis(10))
                .build());
    RewardException e = assertThrows(RewardException.class, () -> c.score(numbered(1)));
    assertTrue(e.getMessage().contains("after 2 attempts"), e.getMessage());
    assertTrue(
        e.getMessage().contains("connection error") || e.getMessage().contains("connect timed out"),
        e.getMessage());
  }

  @Test
  void emptyBatchSendsNoRequest() {
    assertEquals(0, client(fast().build()).score(List.of()).length);
    assertEquals(0, server.requestCount());
  }

  @Test
  void closedClientRefusesToScore() {
    RemoteRewardFunction c = client(fast().build());
    c.close();
    assertThrows(IllegalStateException.class, () -> c.score(numbered(1)));
  }

  private static void assertNoSecret(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      String text = t.toString();
      assertFalse(text.contains("s3cr3t"), "secret leaked in: " + text);
    }
    String all =
        java.util.Arrays.stream(e.getStackTrace())
            .map(Object::toString)
            .collect(Collectors.joining());
    assertFalse(all.contains("s3cr3t"));
  }
}
