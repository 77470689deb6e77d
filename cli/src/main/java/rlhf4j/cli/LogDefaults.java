package rlhf4j.cli;

import java.util.Map;

/**
 * slf4j-simple settings the CLI puts in place before any logger exists, so a normal run prints only
 * lines the user can act on: warnings and errors, on stderr, without DJL's notes about a missing
 * CUDA driver on CPU machines or its engine-loading INFO lines. A setting the user gave ({@code
 * -Dorg.slf4j.simpleLogger...}) is kept.
 *
 * <p>PyTorch's own C++ warnings (for example "AutoNonVariableTypeMode is deprecated") are printed
 * by libtorch's logger, which reads {@code TORCH_CPP_LOG_LEVEL} from the process environment when
 * the library loads; a JVM cannot change its environment in time, so those are silenced only by the
 * launcher ({@code export TORCH_CPP_LOG_LEVEL=ERROR}).
 */
final class LogDefaults {
  static final String PREFIX = "org.slf4j.simpleLogger.";

  /** Property (without the prefix) to value. */
  static final Map<String, String> DEFAULTS =
      Map.of(
          "defaultLogLevel", "warn",
          "logFile", "System.err",
          // "CUDA driver version is insufficient" etc.: expected on CPU machines, not actionable
          "log.ai.djl.util.cuda.CudaUtils", "off",
          "log.ai.djl.pytorch.jni.LibUtils", "warn",
          "log.ai.djl.util.Platform", "warn",
          "showThreadName", "false");

  private LogDefaults() {}

  /** Sets each default whose property the user has not set. */
  static void apply() {
    DEFAULTS.forEach(
        (k, v) -> {
          if (System.getProperty(PREFIX + k) == null) {
            System.setProperty(PREFIX + k, v);
          }
        });
  }
}
