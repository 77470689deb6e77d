package rlhf4j.policy.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GPT-2 byte-level helpers shared by {@link BpeTrainer} and {@link BpeModel}: the {@code
 * bytes_to_unicode} table that maps each byte to a printable character, and the GPT-2
 * pre-tokenization regex that the HuggingFace {@code ByteLevel} pre-tokenizer applies with {@code
 * use_regex: true}.
 */
public final class BpeByteLevel {
  /**
   * The GPT-2 split regex. {@code (?U)} makes {@code \s} the Unicode White_Space set, as in the
   * Oniguruma regex that HuggingFace tokenizers compiles.
   */
  public static final Pattern GPT2_SPLIT =
      Pattern.compile(
          "(?U)'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");

  private static final char[] BYTE_TO_CHAR = buildByteToChar();
  private static final int[] CHAR_TO_BYTE = buildCharToByte(BYTE_TO_CHAR);

  private BpeByteLevel() {}

  /** GPT-2 {@code bytes_to_unicode}: printable bytes map to themselves, the rest to U+0100 on. */
  private static char[] buildByteToChar() {
    boolean[] printable = new boolean[256];
    for (int b = 0; b < 256; b++) {
      printable[b] = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    }
    char[] map = new char[256];
    int next = 256;
    for (int b = 0; b < 256; b++) {
      map[b] = printable[b] ? (char) b : (char) next++;
    }
    return map;
  }

  private static int[] buildCharToByte(char[] byteToChar) {
    int[] inverse = new int[512];
    Arrays.fill(inverse, -1);
    for (int b = 0; b < 256; b++) {
      inverse[byteToChar[b]] = b;
    }
    return inverse;
  }

  /** The character that stands for byte {@code b} (0..255) in vocabulary strings. */
  public static char byteToChar(int b) {
    return BYTE_TO_CHAR[b & 0xFF];
  }

  /** The byte that character {@code c} stands for, or -1 if {@code c} is not a byte character. */
  public static int charToByte(char c) {
    return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
  }

  /** Maps the UTF-8 bytes of {@code text} to byte-level characters (space becomes 'Ġ'). */
  public static String toByteLevel(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    StringBuilder sb = new StringBuilder(bytes.length);
    for (byte b : bytes) {
      sb.append(BYTE_TO_CHAR[b & 0xFF]);
    }
    return sb.toString();
  }

  /**
   * Maps byte-level characters back to bytes.
   *
   * @throws IllegalArgumentException if a character is not one of the 256 byte characters
   */
  public static byte[] fromByteLevel(String symbols) {
    byte[] out = new byte[symbols.length()];
    for (int i = 0; i < symbols.length(); i++) {
      int b = charToByte(symbols.charAt(i));
      if (b < 0) {
        throw new IllegalArgumentException(
            "character U+"
                + Integer.toHexString(symbols.charAt(i))
                + " at "
                + i
                + " of '"
                + symbols
                + "' is not a byte-level character");
      }
      out[i] = (byte) b;
    }
    return out;
  }

  /**
   * Splits text into GPT-2 pre-tokens (words with their leading space, digit runs, punctuation
   * runs, whitespace runs). The pieces concatenate back to {@code text}.
   */
  public static List<String> preTokenize(String text) {
    List<String> pieces = new ArrayList<>();
    Matcher m = GPT2_SPLIT.matcher(text);
    int last = 0;
    while (m.find()) {
      if (m.start() > last) {
        pieces.add(
            text.substring(last, m.start())); // unreachable in practice: the regex covers all
      }
      pieces.add(m.group());
      last = m.end();
    }
    if (last < text.length()) {
      pieces.add(text.substring(last));
    }
    return pieces;
  }
}
