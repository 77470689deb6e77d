package rlhf4j.reward.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class ReferenceScorerServerTest {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private static HttpResponse<String> post(ReferenceScorerServer s, String body)
      throws IOException, InterruptedException {
    return HTTP.send(
        HttpRequest.newBuilder(s.uri())
            .timeout(Duration.ofSeconds(2))
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void bindsOnlyLoopbackOnAnEphemeralPort() throws IOException {
    try (ReferenceScorerServer s = ReferenceScorerServer.start(b -> new float[b.size()])) {
      assertTrue(s.address().getAddress().isLoopbackAddress(), s.address().toString());
      assertEquals("127.0.0.1", s.address().getAddress().getHostAddress());
      assertTrue(s.address().getPort() > 0);
      assertEquals("127.0.0.1", s.uri().getHost());
    }
  }

  @Test
  void scoresWithTheGivenRewardInProtocolFormat() throws Exception {
    try (ReferenceScorerServer s =
        ReferenceScorerServer.start(
            b -> {
              float[] out = new float[b.size()];
              for (int i = 0; i < out.length; i++) {
                out[i] = b.get(i).prompt().length() + 0.5f * b.get(i).response().length();
              }
              return out;
            })) {
      HttpResponse<String> r =
          post(s, "{\"prompts\": [\"ab\", \"\"], \"responses\": [\"c\", \"dddd\"]}");
      assertEquals(200, r.statusCode());
      assertEquals("{\"scores\":[2.5,2.0]}", r.body());
      assertEquals(List.of(2), s.batchSizes());
    }
  }

  @Test
  void malformedRequestIsAnswered400() throws Exception {
    try (ReferenceScorerServer s = ReferenceScorerServer.start(b -> new float[b.size()])) {
      HttpResponse<String> r = post(s, "{\"prompts\": [\"a\"], \"responses\": []}");
      assertEquals(400, r.statusCode());
      assertTrue(r.body().contains("'prompts' has 1 entries but 'responses' has 0"), r.body());
      assertEquals(400, post(s, "not json").statusCode());
      assertEquals(2, s.requestCount());
    }
  }

  @Test
  void invalidRewardOutputIsAnswered500WithTheGuardMessage() throws Exception {
    try (ReferenceScorerServer s = ReferenceScorerServer.start(b -> new float[] {Float.NaN})) {
      HttpResponse<String> r = post(s, "{\"prompts\": [\"a\"], \"responses\": [\"b\"]}");
      assertEquals(500, r.statusCode());
      assertTrue(r.body().contains("NaN at index 0"), r.body());
    }
  }
}
