package rlhf4j.policy.quant;

import java.util.Locale;

/**
 * How the frozen base weights of a model are stored. Compute is float32 in every case: a stored
 * weight is widened per call (fp16 → fp32, int8 → fp32 then scaled), as bitsandbytes' 8-bit layers
 * and QLoRA compute in a wider type than they store.
 */
public enum BaseDtype {
  /** Plain float32 weights, 4 bytes per element. */
  FP32("fp32", 4),
  /** IEEE half-precision storage, 2 bytes per element; about 3 significant decimal digits. */
  FP16("fp16", 2),
  /**
   * Signed 8-bit codes with a float32 absmax scale per output channel (row) or per block of a row;
   * 1 byte per element plus the scales.
   */
  INT8("int8", 1);

  private final String configName;
  private final int bytesPerElement;

  BaseDtype(String configName, int bytesPerElement) {
    this.configName = configName;
    this.bytesPerElement = bytesPerElement;
  }

  /** The name used in config files: {@code fp32}, {@code fp16} or {@code int8}. */
  public String configName() {
    return configName;
  }

  /** Bytes per stored weight element, scales not counted. */
  public int bytesPerElement() {
    return bytesPerElement;
  }

  /**
   * Parses a config value ({@code fp32 | fp16 | int8}, case-insensitive; {@code float32}, {@code
   * float16} and {@code half} are accepted too).
   *
   * @throws IllegalArgumentException naming the accepted values
   */
  public static BaseDtype parse(String value) {
    if (value != null) {
      switch (value.trim().toLowerCase(Locale.ROOT)) {
        case "fp32":
        case "float32":
          return FP32;
        case "fp16":
        case "float16":
        case "half":
          return FP16;
        case "int8":
          return INT8;
        case "bf16":
        case "bfloat16":
          throw new IllegalArgumentException(
              "baseDtype bf16 is not supported: DJL 0.35.1 aborts the JVM on bfloat16 arrays; use"
                  + " fp16 or int8 (bf16 checkpoints are widened to fp32 on load)");
        default:
          break;
      }
    }
    throw new IllegalArgumentException(
        "baseDtype must be one of fp32, fp16, int8, got \"" + value + "\"");
  }

  @Override
  public String toString() {
    return configName;
  }
}
