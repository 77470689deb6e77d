package rlhf4j.reward.remote;

import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Settings of {@link RemoteRewardFunction}. Build with {@link #builder(URI)}, which starts from the
 * defaults documented at each field.
 *
 * @param endpoint the scorer URL, http or https, without user info; required
 * @param connectTimeout TCP connect timeout; default 5 s
 * @param readTimeout time for each whole response, headers and body, from the request's start: a
 *     server that answers and then trickles its body is cut off at this deadline; default 30 s
 * @param maxRetries retries after the first attempt on 5xx, 429, timeouts and connection errors
 *     (not on other 4xx, nor on a malformed 2xx answer), &ge; 0; default 3
 * @param initialBackoff wait before the first retry; default 200 ms
 * @param backoffMultiplier factor between consecutive waits, &ge; 1; default 2
 * @param maxBackoff cap on any single wait, &ge; initialBackoff; default 5 s
 * @param maxBatchSize most samples per request; larger batches are split, &ge; 1; default 64
 * @param maxConcurrency most requests in flight at once per client, &ge; 1; default 4
 * @param authEnvVar NAME of the environment variable whose value is sent verbatim as the {@code
 *     authHeader} (e.g. {@code "Bearer ..."}); null for no auth; default null. The value is never
 *     logged nor put in exception messages.
 * @param authHeader header name for the auth value; default {@code "Authorization"}
 * @param maxResponseBytes largest response body read, &ge; 1; a larger answer fails at once (not
 *     retried) without being held in memory; default 8 MiB (a score is a few bytes)
 */
public record RemoteScorerConfig(
    URI endpoint,
    Duration connectTimeout,
    Duration readTimeout,
    int maxRetries,
    Duration initialBackoff,
    double backoffMultiplier,
    Duration maxBackoff,
    int maxBatchSize,
    int maxConcurrency,
    String authEnvVar,
    String authHeader,
    long maxResponseBytes) {

  /** Default {@link #maxResponseBytes}: 8 MiB. */
  public static final long DEFAULT_MAX_RESPONSE_BYTES = 8L << 20;

  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final Pattern HEADER_NAME = Pattern.compile("[A-Za-z0-9!#$%&'*+.^_`|~-]+");

  /** Validates; messages name the field and the value. */
  public RemoteScorerConfig {
    Objects.requireNonNull(endpoint, "endpoint");
    String scheme =
        endpoint.getScheme() == null ? "" : endpoint.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException(
          "endpoint must be an http or https URL, got '" + endpoint + "'");
    }
    if (endpoint.getHost() == null) {
      throw new IllegalArgumentException("endpoint has no host: '" + endpoint + "'");
    }
    if (endpoint.getRawUserInfo() != null) {
      throw new IllegalArgumentException(
          "endpoint must not carry credentials (user info); put the secret in the environment"
              + " variable named by authEnvVar instead");
    }
    positive("connectTimeout", connectTimeout);
    positive("readTimeout", readTimeout);
    if (maxRetries < 0) {
      throw new IllegalArgumentException("maxRetries must be >= 0, got " + maxRetries);
    }
    positive("initialBackoff", initialBackoff);
    if (!Double.isFinite(backoffMultiplier) || backoffMultiplier < 1.0) {
      throw new IllegalArgumentException(
          "backoffMultiplier must be finite and >= 1, got " + backoffMultiplier);
    }
    positive("maxBackoff", maxBackoff);
    if (maxBackoff.compareTo(initialBackoff) < 0) {
      throw new IllegalArgumentException(
          "maxBackoff must be >= initialBackoff, got " + maxBackoff + " and " + initialBackoff);
    }
    if (maxBatchSize < 1) {
      throw new IllegalArgumentException("maxBatchSize must be >= 1, got " + maxBatchSize);
    }
    if (maxConcurrency < 1) {
      throw new IllegalArgumentException("maxConcurrency must be >= 1, got " + maxConcurrency);
    }
    if (authEnvVar != null && !ENV_NAME.matcher(authEnvVar).matches()) {
      throw new IllegalArgumentException(
          "authEnvVar must be an environment variable NAME like RLHF4J_SCORER_TOKEN, got '"
              + authEnvVar
              + "'");
    }
    Objects.requireNonNull(authHeader, "authHeader");
    if (!HEADER_NAME.matcher(authHeader).matches()) {
      throw new IllegalArgumentException(
          "authHeader must be a valid HTTP header name, got '" + authHeader + "'");
    }
    if (maxResponseBytes < 1) {
      throw new IllegalArgumentException("maxResponseBytes must be >= 1, got " + maxResponseBytes);
    }
  }

  /** A builder for {@code endpoint} with all other fields at their defaults. */
  public static Builder builder(URI endpoint) {
    return new Builder(endpoint);
  }

  /**
   * The wait before retry number {@code retry} (1-based): {@code initialBackoff *
   * backoffMultiplier^(retry-1)}, capped at {@code maxBackoff}.
   */
  public Duration backoff(int retry) {
    if (retry < 1) {
      throw new IllegalArgumentException("retry must be >= 1, got " + retry);
    }
    double nanos = initialBackoff.toNanos() * Math.pow(backoffMultiplier, retry - 1);
    long capped = (long) Math.min(nanos, (double) maxBackoff.toNanos());
    return Duration.ofNanos(capped);
  }

  private static void positive(String field, Duration d) {
    Objects.requireNonNull(d, field);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(field + " must be > 0, got " + d);
    }
  }

  /** Builder starting from the documented defaults. */
  public static final class Builder {
    private URI endpoint;
    private Duration connectTimeout = Duration.ofSeconds(5);
    private Duration readTimeout = Duration.ofSeconds(30);
    private int maxRetries = 3;
    private Duration initialBackoff = Duration.ofMillis(200);
    private double backoffMultiplier = 2.0;
    private Duration maxBackoff = Duration.ofSeconds(5);
    private int maxBatchSize = 64;
    private int maxConcurrency = 4;
    private String authEnvVar;
    private String authHeader = "Authorization";
    private long maxResponseBytes = DEFAULT_MAX_RESPONSE_BYTES;

    private Builder(URI endpoint) {
      this.endpoint = endpoint;
    }

    /** The scorer URL. */
    public Builder endpoint(URI endpoint) {
      this.endpoint = endpoint;
      return this;
    }

    /** TCP connect timeout. */
    public Builder connectTimeout(Duration connectTimeout) {
      this.connectTimeout = connectTimeout;
      return this;
    }

    /** Per-response timeout. */
    public Builder readTimeout(Duration readTimeout) {
      this.readTimeout = readTimeout;
      return this;
    }

    /** Retries after the first attempt. */
    public Builder maxRetries(int maxRetries) {
      this.maxRetries = maxRetries;
      return this;
    }

    /** Wait before the first retry. */
    public Builder initialBackoff(Duration initialBackoff) {
      this.initialBackoff = initialBackoff;
      return this;
    }

    /** Factor between waits. */
    public Builder backoffMultiplier(double backoffMultiplier) {
      this.backoffMultiplier = backoffMultiplier;
      return this;
    }

    /** Cap on any wait. */
    public Builder maxBackoff(Duration maxBackoff) {
      this.maxBackoff = maxBackoff;
      return this;
    }

    /** Most samples per request. */
    public Builder maxBatchSize(int maxBatchSize) {
      this.maxBatchSize = maxBatchSize;
      return this;
    }

    /** Most requests in flight. */
    public Builder maxConcurrency(int maxConcurrency) {
      this.maxConcurrency = maxConcurrency;
      return this;
    }

    /** Name of the environment variable holding the auth header value; null for none. */
    public Builder authEnvVar(String authEnvVar) {
      this.authEnvVar = authEnvVar;
      return this;
    }

    /** Header that carries the auth value. */
    public Builder authHeader(String authHeader) {
      this.authHeader = authHeader;
      return this;
    }

    /** Largest response body read. */
    public Builder maxResponseBytes(long maxResponseBytes) {
      this.maxResponseBytes = maxResponseBytes;
      return this;
    }

    /** The validated config. */
    public RemoteScorerConfig build() {
      return new RemoteScorerConfig(
          endpoint,
          connectTimeout,
          readTimeout,
          maxRetries,
          initialBackoff,
          backoffMultiplier,
          maxBackoff,
          maxBatchSize,
          maxConcurrency,
          authEnvVar,
          authHeader,
          maxResponseBytes);
    }
  }
}
