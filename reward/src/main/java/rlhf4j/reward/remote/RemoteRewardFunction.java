package rlhf4j.reward.remote;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import rlhf4j.reward.RewardException;
import rlhf4j.reward.RewardFunction;

/**
 * Scores samples with a remote HTTP JSON scorer: {@code POST {"prompts": [...], "responses":
 * [...]}} answered by {@code {"scores": [...]}} (token ids are not sent).
 *
 * <p>A batch is split into requests of at most {@code maxBatchSize} samples, sent in parallel by at
 * most {@code maxConcurrency} threads, and the scores are reassembled in batch order. Each request
 * is retried with exponential backoff on 5xx, 429, timeouts and connection errors; a 2xx answer
 * that is malformed or has the wrong number of scores fails at once. Any failure is a {@link
 * RewardException} naming the endpoint and the sample range; the auth value never appears in logs
 * or messages. Close it to stop its threads.
 */
public final class RemoteRewardFunction implements RewardFunction, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RemoteRewardFunction.class);
  private static final int BODY_SNIPPET = 200;

  private final RemoteScorerConfig config;
  private final String authValue; // null = no auth; never logged
  private final HttpClient client;
  private final ExecutorService pool;
  private volatile boolean closed;

  /** A client reading the auth value from the process environment. */
  public RemoteRewardFunction(RemoteScorerConfig config) {
    this(config, System::getenv);
  }

  /**
   * A client reading the auth value through {@code env} (variable name to value), e.g. for tests.
   *
   * @throws IllegalStateException if {@code authEnvVar} is set but the variable is unset or empty
   */
  public RemoteRewardFunction(RemoteScorerConfig config, Function<String, String> env) {
    this.config = Objects.requireNonNull(config, "config");
    Objects.requireNonNull(env, "env");
    if (config.authEnvVar() != null) {
      String v = env.apply(config.authEnvVar());
      if (v == null || v.isEmpty()) {
        throw new IllegalStateException(
            "environment variable "
                + config.authEnvVar()
                + " (authEnvVar) is not set or empty; export it with the auth header value, or"
                + " leave authEnvVar unset for no auth");
      }
      this.authValue = v;
    } else {
      this.authValue = null;
    }
    this.client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(config.connectTimeout())
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
    AtomicInteger n = new AtomicInteger();
    this.pool =
        Executors.newFixedThreadPool(
            config.maxConcurrency(),
            r -> {
              Thread t = new Thread(r, "rlhf4j-remote-scorer-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
  }

  /** The config. */
  public RemoteScorerConfig config() {
    return config;
  }

  @Override
  public String name() {
    return "remote(" + config.endpoint() + ")";
  }

  /**
   * Scores {@code batch} remotely.
   *
   * @throws RewardException when a request fails for good (after retries, or at once for a 4xx or a
   *     malformed answer); the other requests of the batch are cancelled
   * @throws IllegalStateException after {@link #close()}
   */
  @Override
  public float[] score(List<Sample> batch) {
    if (closed) {
      throw new IllegalStateException(name() + " is closed; create a new RemoteRewardFunction");
    }
    Objects.requireNonNull(batch, "batch");
    float[] scores = new float[batch.size()]; // (B)
    if (batch.isEmpty()) {
      return scores;
    }
    int chunkSize = config.maxBatchSize();
    ExecutorCompletionService<Integer> done = new ExecutorCompletionService<>(pool);
    List<Future<Integer>> futures = new ArrayList<>();
    for (int from = 0; from < batch.size(); from += chunkSize) {
      int start = from;
      List<Sample> chunk = batch.subList(from, Math.min(batch.size(), from + chunkSize));
      futures.add(
          done.submit(
              () -> {
                float[] s = scoreChunk(chunk, start);
                System.arraycopy(s, 0, scores, start, s.length);
                return start;
              }));
    }
    try {
      for (int k = 0; k < futures.size(); k++) {
        done.take().get();
      }
    } catch (ExecutionException e) {
      cancelAll(futures);
      Throwable c = e.getCause();
      if (c instanceof RewardException re) {
        throw re;
      }
      throw new RewardException(name(), redact(name() + " failed: " + c), c);
    } catch (CancellationException e) {
      cancelAll(futures);
      throw new RewardException(name(), name() + " was cancelled", e);
    } catch (InterruptedException e) {
      cancelAll(futures);
      Thread.currentThread().interrupt();
      throw new RewardException(name(), name() + " was interrupted while scoring", e);
    }
    return scores; // written by the workers; take()/get() gives happens-before
  }

  /** Scores one request's samples, retrying transient failures. */
  private float[] scoreChunk(List<Sample> chunk, int from) throws InterruptedException {
    String range = "samples [" + from + ", " + (from + chunk.size()) + ")";
    List<String> prompts = new ArrayList<>(chunk.size());
    List<String> responses = new ArrayList<>(chunk.size());
    for (Sample s : chunk) {
      prompts.add(s.prompt());
      responses.add(s.response());
    }
    HttpRequest.Builder rb =
        HttpRequest.newBuilder(config.endpoint())
            .timeout(config.readTimeout())
            .header("Content-Type", "application/json; charset=utf-8")
            .header("Accept", "application/json")
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    ScoreJson.encodeRequest(prompts, responses), StandardCharsets.UTF_8));
    if (authValue != null) {
      rb.header(config.authHeader(), authValue);
    }
    HttpRequest request = rb.build();

    int attempts = config.maxRetries() + 1;
    String lastError = null;
    Exception lastCause = null;
    for (int attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) {
        Duration wait = config.backoff(attempt - 1);
        LOG.warn(
            "{} {}: attempt {}/{} failed ({}); retrying in {} ms",
            name(),
            range,
            attempt - 1,
            attempts,
            lastError,
            wait.toMillis());
        Thread.sleep(wait.toMillis(), wait.toNanosPart() % 1_000_000);
      }
      HttpResponse<String> response;
      try {
        response = sendWithDeadline(request);
      } catch (HttpConnectTimeoutException e) {
        lastError = "connect timed out after " + config.connectTimeout().toMillis() + " ms";
        lastCause = e;
        continue;
      } catch (HttpTimeoutException | TimeoutException e) {
        lastError = "no whole answer within readTimeout " + config.readTimeout().toMillis() + " ms";
        lastCause = e;
        continue;
      } catch (BoundedBody.TooLargeException e) {
        throw new RewardException(
            name(),
            name()
                + " answered "
                + range
                + " with a body too large: "
                + e.getMessage()
                + "; fix the scorer, or raise maxResponseBytes (YAML max_response_bytes)",
            e);
      } catch (IOException e) {
        lastError = "connection error: " + redact(String.valueOf(e));
        lastCause = e;
        continue;
      }
      int status = response.statusCode();
      if (status >= 200 && status < 300) {
        try {
          return ScoreJson.decodeScores(response.body(), chunk.size());
        } catch (ScoreJson.FormatException e) {
          throw new RewardException(
              name(),
              redact(
                  name()
                      + " returned an invalid answer for "
                      + range
                      + ": "
                      + e.getMessage()
                      + "; expected {\"scores\": [...]} with one finite number per sample (body"
                      + " starts: "
                      + snippet(response.body())
                      + ")"));
        }
      }
      if (status == 429 || status >= 500) {
        lastError = "HTTP " + status + ": " + snippet(response.body());
        lastCause = null;
        continue;
      }
      throw new RewardException(
          name(),
          redact(
              name()
                  + " rejected the request for "
                  + range
                  + " with HTTP "
                  + status
                  + " (not retried): "
                  + snippet(response.body())
                  + "; check the endpoint path, the request format"
                  + (config.authEnvVar() == null
                      ? ""
                      : " and the value of environment variable " + config.authEnvVar())));
    }
    throw new RewardException(
        name(),
        redact(
            name()
                + " failed for "
                + range
                + " after "
                + attempts
                + " attempts; last error: "
                + lastError
                + "; check that the server is up, or raise readTimeout/maxRetries"),
        lastCause);
  }

  /**
   * Sends {@code request} and waits at most {@code readTimeout} for the whole answer, headers and
   * body; past it the body is aborted (closing the connection) and {@link TimeoutException} thrown.
   */
  private HttpResponse<String> sendWithDeadline(HttpRequest request)
      throws IOException, TimeoutException, InterruptedException {
    AtomicReference<BoundedBody> body = new AtomicReference<>();
    CompletableFuture<HttpResponse<String>> pending =
        client.sendAsync(
            request,
            info -> {
              BoundedBody b =
                  new BoundedBody(
                      config.maxResponseBytes(),
                      info.headers().firstValueAsLong("Content-Length").orElse(-1));
              body.set(b);
              return b;
            });
    try {
      return pending.get(config.readTimeout().toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      BoundedBody b = body.get();
      if (b != null) {
        b.abort();
      }
      pending.cancel(true);
      throw e;
    } catch (InterruptedException e) {
      pending.cancel(true);
      throw e;
    } catch (ExecutionException e) {
      for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
        if (c instanceof BoundedBody.TooLargeException tooLarge) {
          throw tooLarge;
        }
      }
      Throwable c = e.getCause();
      if (c instanceof IOException io) {
        throw io;
      }
      throw new IOException(String.valueOf(c), c);
    }
  }

  private String snippet(String body) {
    if (body == null || body.isEmpty()) {
      return "<empty body>";
    }
    String s = body.length() > BODY_SNIPPET ? body.substring(0, BODY_SNIPPET) + "..." : body;
    return redact(s.replace('\n', ' ').replace('\r', ' '));
  }

  /** Removes the auth value, should a server echo it back. */
  private String redact(String s) {
    if (authValue == null || s == null) {
      return s;
    }
    return s.replace(authValue, "<redacted>");
  }

  private static void cancelAll(List<Future<Integer>> futures) {
    for (Future<Integer> f : futures) {
      f.cancel(true);
    }
  }

  /** Stops the worker threads; later {@link #score} calls fail. */
  @Override
  public void close() {
    closed = true;
    pool.shutdownNow();
  }
}
