package rlhf4j.reward.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RemoteScorerConfigTest {
  private static final URI URL = URI.create("http://127.0.0.1:8080/score");

  @Test
  void builderStartsFromDocumentedDefaults() {
    RemoteScorerConfig c = RemoteScorerConfig.builder(URL).build();
    assertEquals(Duration.ofSeconds(5), c.connectTimeout());
    assertEquals(Duration.ofSeconds(30), c.readTimeout());
    assertEquals(3, c.maxRetries());
    assertEquals(Duration.ofMillis(200), c.initialBackoff());
    assertEquals(2.0, c.backoffMultiplier());
    assertEquals(Duration.ofSeconds(5), c.maxBackoff());
    assertEquals(64, c.maxBatchSize());
    assertEquals(4, c.maxConcurrency());
    assertNull(c.authEnvVar());
    assertEquals("Authorization", c.authHeader());
  }

  @Test
  void backoffGrowsGeometricallyUpToTheCap() {
    RemoteScorerConfig c =
        RemoteScorerConfig.builder(URL)
            .initialBackoff(Duration.ofMillis(100))
            .backoffMultiplier(3)
            .maxBackoff(Duration.ofMillis(1000))
            .build();
    assertEquals(Duration.ofMillis(100), c.backoff(1));
    assertEquals(Duration.ofMillis(300), c.backoff(2));
    assertEquals(Duration.ofMillis(900), c.backoff(3));
    assertEquals(Duration.ofMillis(1000), c.backoff(4));
  }

  @Test
  void invalidFieldsAreNamed() {
    assertMessage("maxBatchSize", () -> RemoteScorerConfig.builder(URL).maxBatchSize(0).build());
    assertMessage(
        "maxConcurrency", () -> RemoteScorerConfig.builder(URL).maxConcurrency(0).build());
    assertMessage("maxRetries", () -> RemoteScorerConfig.builder(URL).maxRetries(-1).build());
    assertMessage(
        "readTimeout", () -> RemoteScorerConfig.builder(URL).readTimeout(Duration.ZERO).build());
    assertMessage(
        "maxBackoff",
        () -> RemoteScorerConfig.builder(URL).maxBackoff(Duration.ofMillis(1)).build());
    assertMessage(
        "authEnvVar", () -> RemoteScorerConfig.builder(URL).authEnvVar("Bearer x").build());
    assertMessage(
        "http or https",
        () -> RemoteScorerConfig.builder(URI.create("ftp://127.0.0.1/score")).build());
  }

  @Test
  void credentialsInTheUrlAreRejectedWithoutEchoingThem() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> RemoteScorerConfig.builder(URI.create("http://user:pw123@host/score")).build());
    assertTrue(e.getMessage().contains("authEnvVar"), e.getMessage());
    assertTrue(!e.getMessage().contains("pw123"), e.getMessage());
  }

  private static void assertMessage(String field, org.junit.jupiter.api.function.Executable ex) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, ex);
    assertTrue(e.getMessage().contains(field), e.getMessage());
  }
}
