package rlhf4j.reward.remote;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Map;
import rlhf4j.reward.RewardFunction;
import rlhf4j.reward.RewardFunctionProvider;
import rlhf4j.reward.RewardOptions;

/**
 * The short name {@code remote}: a scorer behind HTTP ({@link RemoteRewardFunction}). Options:
 * {@code url} (required, http or https); {@code auth_env} (an environment variable holding the
 * Authorization header value; default none); {@code timeout_ms} (deadline for each whole response);
 * {@code max_retries}; {@code max_batch_size}; {@code max_response_bytes}. Unset options keep
 * {@link RemoteScorerConfig}'s defaults.
 */
public final class RemoteRewardProvider implements RewardFunctionProvider {
  @Override
  public String name() {
    return "remote";
  }

  @Override
  public RewardFunction create(Map<String, String> options) {
    RewardOptions o =
        RewardOptions.of(
            name(),
            options,
            "url",
            "auth_env",
            "timeout_ms",
            "max_retries",
            "max_batch_size",
            "max_response_bytes");
    String url = o.requireString("url");
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(
          "remote option url = '" + url + "' is not a URI: " + e.getMessage(), e);
    }
    RemoteScorerConfig.Builder b = RemoteScorerConfig.builder(uri);
    if (options.containsKey("auth_env")) {
      b.authEnvVar(o.requireString("auth_env"));
    }
    if (options.containsKey("timeout_ms")) {
      b.readTimeout(Duration.ofMillis(o.requireInt("timeout_ms")));
    }
    if (options.containsKey("max_retries")) {
      b.maxRetries(o.requireInt("max_retries"));
    }
    if (options.containsKey("max_batch_size")) {
      b.maxBatchSize(o.requireInt("max_batch_size"));
    }
    if (options.containsKey("max_response_bytes")) {
      b.maxResponseBytes(o.requireInt("max_response_bytes"));
    }
    RemoteScorerConfig config;
    try {
      config = b.build(); // checks the URL (http/https, a host, no credentials) and the rest
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("reward 'remote': " + e.getMessage(), e);
    }
    return new RemoteRewardFunction(config);
  }
}
