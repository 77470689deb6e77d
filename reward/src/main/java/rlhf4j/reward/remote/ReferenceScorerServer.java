package rlhf4j.reward.remote;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import rlhf4j.reward.GuardedReward;
import rlhf4j.reward.RewardFunction;

/**
 * A small scorer that speaks {@link RemoteRewardFunction}'s protocol at {@code POST /score},
 * scoring with any {@link RewardFunction} (samples carry texts only). It binds 127.0.0.1 on an
 * ephemeral port, never any other address.
 *
 * <p>Test hooks inject faults into the next N requests (failing status, delay, a wrong number of
 * scores, malformed JSON, a body trickled byte by byte, an oversized body) and record what arrived
 * (request count, most requests in flight, batch sizes, header values). A request that passes
 * several armed faults gets them in this order: delay, failing status, wrong length, malformed
 * JSON.
 */
public final class ReferenceScorerServer implements AutoCloseable {
  /** The scoring path. */
  public static final String PATH = "/score";

  private final GuardedReward reward;
  private final HttpServer server;
  private final ExecutorService pool;

  private final AtomicInteger failRemaining = new AtomicInteger();
  private volatile int failStatus = 500;
  private final AtomicInteger delayRemaining = new AtomicInteger();
  private volatile Duration delay = Duration.ZERO;
  private final AtomicInteger wrongLengthRemaining = new AtomicInteger();
  private final AtomicInteger malformedRemaining = new AtomicInteger();
  private final AtomicInteger trickleRemaining = new AtomicInteger();
  private volatile Duration trickleGap = Duration.ZERO;
  private final AtomicInteger oversizeRemaining = new AtomicInteger();
  private volatile long oversizeBytes;

  private final AtomicInteger requestCount = new AtomicInteger();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger maxInFlight = new AtomicInteger();
  private final List<Integer> batchSizes = Collections.synchronizedList(new ArrayList<>());
  private final List<com.sun.net.httpserver.Headers> headers =
      Collections.synchronizedList(new ArrayList<>());

  private ReferenceScorerServer(RewardFunction reward) throws IOException {
    this.reward = GuardedReward.of(Objects.requireNonNull(reward, "reward"));
    this.server = HttpServer.create(new InetSocketAddress(loopback(), 0), 0);
    AtomicInteger n = new AtomicInteger();
    this.pool =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "rlhf4j-reference-scorer-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(pool);
    server.createContext(PATH, this::handle);
    server.start();
  }

  /**
   * Starts a server on 127.0.0.1 and an ephemeral port.
   *
   * @throws IOException if the socket cannot be bound
   */
  public static ReferenceScorerServer start(RewardFunction reward) throws IOException {
    return new ReferenceScorerServer(reward);
  }

  private static InetAddress loopback() throws UnknownHostException {
    return InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 1});
  }

  /** The bound address (always 127.0.0.1). */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  /** {@code http://127.0.0.1:<port>/score}. */
  public URI uri() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + PATH);
  }

  /** Answers the next {@code n} requests with HTTP 500. */
  public void failNextRequests(int n) {
    failNextRequests(n, 500);
  }

  /** Answers the next {@code n} requests with {@code status} (an error status, 400..599). */
  public void failNextRequests(int n, int status) {
    if (status < 400 || status > 599) {
      throw new IllegalArgumentException("status must be in 400..599, got " + status);
    }
    failStatus = status;
    failRemaining.set(nonNegative(n));
  }

  /** Sleeps {@code delay} before answering each of the next {@code n} requests. */
  public void delayNextRequests(int n, Duration delay) {
    Objects.requireNonNull(delay, "delay");
    if (delay.isNegative()) {
      throw new IllegalArgumentException("delay must be >= 0, got " + delay);
    }
    this.delay = delay;
    delayRemaining.set(nonNegative(n));
  }

  /**
   * Answers the next {@code n} requests with one score too few (one too many for an empty batch).
   */
  public void wrongLengthNextRequests(int n) {
    wrongLengthRemaining.set(nonNegative(n));
  }

  /** Answers the next {@code n} requests with a truncated, unparseable JSON body. */
  public void malformedJsonNextRequests(int n) {
    malformedRemaining.set(nonNegative(n));
  }

  /**
   * Answers the next {@code n} requests with status 200 and a correct Content-Length, then sends
   * the body one byte every {@code gap} (a server that never quite answers).
   */
  public void trickleNextRequests(int n, Duration gap) {
    Objects.requireNonNull(gap, "gap");
    if (gap.isNegative()) {
      throw new IllegalArgumentException("gap must be >= 0, got " + gap);
    }
    this.trickleGap = gap;
    trickleRemaining.set(nonNegative(n));
  }

  /**
   * Answers the next {@code n} requests with status 200, chunked (no Content-Length): {@code bytes}
   * of white space, then the scores.
   */
  public void oversizeNextRequests(int n, long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("bytes must be >= 0, got " + bytes);
    }
    this.oversizeBytes = bytes;
    oversizeRemaining.set(nonNegative(n));
  }

  /** Disarms every fault. */
  public void clearFaults() {
    trickleRemaining.set(0);
    oversizeRemaining.set(0);
    failRemaining.set(0);
    delayRemaining.set(0);
    wrongLengthRemaining.set(0);
    malformedRemaining.set(0);
  }

  /** Requests received at {@link #PATH}, faulty ones included. */
  public int requestCount() {
    return requestCount.get();
  }

  /** The most requests being handled at once so far. */
  public int maxInFlight() {
    return maxInFlight.get();
  }

  /** Number of samples in each well-formed request, in arrival order. */
  public List<Integer> batchSizes() {
    synchronized (batchSizes) {
      return List.copyOf(batchSizes);
    }
  }

  /** The value of header {@code name} in each request, in arrival order ("" when absent). */
  public List<String> headerValues(String name) {
    List<String> out = new ArrayList<>();
    synchronized (headers) {
      for (var h : headers) {
        String v = h.getFirst(name);
        out.add(v == null ? "" : v);
      }
    }
    return out;
  }

  private record Answer(int status, String body) {}

  private void handle(HttpExchange ex) {
    requestCount.incrementAndGet();
    headers.add(copy(ex.getRequestHeaders()));
    maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
    Answer a;
    try {
      a = answer(ex);
    } finally {
      // leave the in-flight window before answering, so a client that sends its next request
      // as soon as it has this answer is never counted twice
      inFlight.decrementAndGet();
    }
    if (a.status() == 200 && take(trickleRemaining)) {
      trickle(ex, a.body(), trickleGap);
    } else if (a.status() == 200 && take(oversizeRemaining)) {
      padded(ex, a.body(), oversizeBytes);
    } else {
      respond(ex, a.status(), a.body());
    }
  }

  private static void trickle(HttpExchange ex, String body, Duration gap) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    try (ex) {
      ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
      ex.sendResponseHeaders(200, bytes.length);
      try (OutputStream os = ex.getResponseBody()) {
        for (byte b : bytes) {
          os.write(b);
          os.flush();
          Thread.sleep(gap.toMillis());
        }
      }
    } catch (IOException e) {
      // the client gave up and closed the connection
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void padded(HttpExchange ex, String body, long padding) {
    byte[] spaces = new byte[64 * 1024];
    java.util.Arrays.fill(spaces, (byte) ' ');
    try (ex) {
      ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
      ex.sendResponseHeaders(200, 0); // chunked
      try (OutputStream os = ex.getResponseBody()) {
        for (long left = padding; left > 0; left -= spaces.length) {
          os.write(spaces, 0, (int) Math.min(spaces.length, left));
        }
        os.write(body.getBytes(StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      // the client refused the body and closed the connection
    }
  }

  private Answer answer(HttpExchange ex) {
    try {
      if (!"POST".equals(ex.getRequestMethod())) {
        return new Answer(405, ScoreJson.encodeError("use POST"));
      }
      String in;
      try (InputStream is = ex.getRequestBody()) {
        in = new String(is.readAllBytes(), StandardCharsets.UTF_8);
      }
      ScoreJson.Request req;
      try {
        req = ScoreJson.decodeRequest(in);
      } catch (ScoreJson.FormatException e) {
        return new Answer(400, ScoreJson.encodeError("bad request: " + e.getMessage()));
      }
      batchSizes.add(req.prompts().size());
      if (take(delayRemaining)) {
        sleep(delay);
      }
      if (take(failRemaining)) {
        return new Answer(failStatus, ScoreJson.encodeError("injected fault: HTTP " + failStatus));
      }
      return new Answer(200, score(req));
    } catch (IOException e) {
      return new Answer(400, ScoreJson.encodeError("cannot read the request body: " + e));
    } catch (RuntimeException e) {
      return new Answer(500, ScoreJson.encodeError(String.valueOf(e.getMessage())));
    }
  }

  private String score(ScoreJson.Request req) {
    List<RewardFunction.Sample> batch = new ArrayList<>();
    for (int i = 0; i < req.prompts().size(); i++) {
      batch.add(RewardFunction.Sample.of(req.prompts().get(i), req.responses().get(i)));
    }
    float[] scores = reward.score(batch);
    if (take(wrongLengthRemaining)) {
      float[] wrong = new float[scores.length == 0 ? 1 : scores.length - 1];
      System.arraycopy(scores, 0, wrong, 0, Math.min(wrong.length, scores.length));
      scores = wrong;
    }
    String json = ScoreJson.encodeScores(scores);
    if (take(malformedRemaining)) {
      return json.substring(0, json.length() / 2);
    }
    return json;
  }

  private static void respond(HttpExchange ex, int status, String body) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    try (ex) {
      ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
      ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
      try (OutputStream os = ex.getResponseBody()) {
        os.write(bytes);
      }
    } catch (IOException e) {
      // the client went away (e.g. it timed out); nothing to answer
    }
  }

  private static boolean take(AtomicInteger remaining) {
    return remaining.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0;
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static com.sun.net.httpserver.Headers copy(com.sun.net.httpserver.Headers h) {
    var c = new com.sun.net.httpserver.Headers();
    c.putAll(h);
    return c;
  }

  private static int nonNegative(int n) {
    if (n < 0) {
      throw new IllegalArgumentException("n must be >= 0, got " + n);
    }
    return n;
  }

  /** Stops the server at once and its threads. */
  @Override
  public void close() {
    server.stop(0);
    pool.shutdownNow();
  }
}
