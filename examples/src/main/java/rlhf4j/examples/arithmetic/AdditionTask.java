package rlhf4j.examples.arithmetic;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Addition problems {@code a+b=} with a character-level vocabulary: ids 0-9 are the digits, then
 * {@code +}, {@code =} and the end-of-sequence token. A response is the sum's digits followed by
 * EOS, e.g. {@code "12+7="} → {@code "19<eos>"}.
 */
public final class AdditionTask {
  /** Id of {@code +}. */
  public static final int PLUS = 10;

  /** Id of {@code =}. */
  public static final int EQUALS = 11;

  /** Id of the end-of-sequence token (also used for padding). */
  public static final int EOS = 12;

  /** Number of token ids. */
  public static final int VOCAB_SIZE = 13;

  /** One problem {@code a + b}. */
  public record Problem(int a, int b) {
    /** Validates the operands. */
    public Problem {
      if (a < 0 || b < 0) {
        throw new IllegalArgumentException("operands must be >= 0, got " + a + " and " + b);
      }
    }

    /** The prompt text, e.g. {@code "12+7="}. */
    public String prompt() {
      return a + "+" + b + "=";
    }

    /** The prompt's token ids. */
    public long[] promptIds() {
      return encode(prompt());
    }

    /** The expected completion's ids: the sum's digits, then EOS. */
    public long[] answerIds() {
      return numberIds(a + b);
    }

    /**
     * The answer as a chatty annotator writes it, restating the sum: {@code 12+7=19=19}; digits,
     * {@code =}, digits, EOS.
     */
    public long[] chattyAnswerIds() {
      long[] digits = encode(Integer.toString(a + b));
      long[] out = new long[2 * digits.length + 2];
      System.arraycopy(digits, 0, out, 0, digits.length);
      out[digits.length] = EQUALS;
      System.arraycopy(digits, 0, out, digits.length + 1, digits.length);
      out[out.length - 1] = EOS;
      return out;
    }

    private static long[] numberIds(int n) {
      long[] digits = encode(Integer.toString(n));
      long[] out = java.util.Arrays.copyOf(digits, digits.length + 1);
      out[digits.length] = EOS;
      return out;
    }
  }

  private AdditionTask() {}

  /** Token ids of {@code text}, which may hold digits, {@code +} and {@code =} only. */
  public static long[] encode(String text) {
    long[] ids = new long[text.length()];
    for (int i = 0; i < ids.length; i++) {
      char c = text.charAt(i);
      if (c >= '0' && c <= '9') {
        ids[i] = c - '0';
      } else if (c == '+') {
        ids[i] = PLUS;
      } else if (c == '=') {
        ids[i] = EQUALS;
      } else {
        throw new IllegalArgumentException(
            "character '" + c + "' at " + i + " of \"" + text + "\" is not a digit, + or =");
      }
    }
    return ids;
  }

  /** Text of {@code ids}, with EOS written as {@code <eos>}. */
  public static String decode(long[] ids) {
    StringBuilder sb = new StringBuilder();
    for (long id : ids) {
      if (id >= 0 && id <= 9) {
        sb.append((char) ('0' + id));
      } else if (id == PLUS) {
        sb.append('+');
      } else if (id == EQUALS) {
        sb.append('=');
      } else if (id == EOS) {
        sb.append("<eos>");
      } else {
        throw new IllegalArgumentException(
            "token id " + id + " is outside [0, " + VOCAB_SIZE + ")");
      }
    }
    return sb.toString();
  }

  /**
   * The problem a prompt encodes, parsed back from its ids ({@code digits + digits =}).
   *
   * @throws IllegalArgumentException if the ids are not of that form
   */
  public static Problem parse(long[] promptIds) {
    String text = decode(promptIds);
    if (!text.matches("\\d+\\+\\d+=")) {
      throw new IllegalArgumentException("prompt \"" + text + "\" is not of the form a+b=");
    }
    int plus = text.indexOf('+');
    return new Problem(
        Integer.parseInt(text.substring(0, plus)),
        Integer.parseInt(text.substring(plus + 1, text.length() - 1)));
  }

  /**
   * The sum a response states: its digits up to the first EOS, or -1 if it is not a number of 1 to
   * 3 digits followed by EOS (the format SFT teaches).
   */
  public static int statedAnswer(long[] responseIds) {
    int n = 0;
    int value = 0;
    for (long id : responseIds) {
      if (id == EOS) {
        return n == 0 ? -1 : value;
      }
      if (id < 0 || id > 9 || ++n > 3) {
        return -1;
      }
      value = value * 10 + (int) id;
    }
    return -1; // no EOS: cut off
  }

  /**
   * Every problem with both operands in {@code [0, maxOperand)}, shuffled with {@code seed} and
   * split into {@code heldOut} evaluation problems and the rest for training.
   *
   * @return the training problems, then the held-out ones
   */
  public static Split split(int maxOperand, int heldOut, long seed) {
    if (maxOperand < 2) {
      throw new IllegalArgumentException("maxOperand must be >= 2, got " + maxOperand);
    }
    List<Problem> all = new ArrayList<>();
    for (int a = 0; a < maxOperand; a++) {
      for (int b = 0; b < maxOperand; b++) {
        all.add(new Problem(a, b));
      }
    }
    if (heldOut < 1 || heldOut >= all.size()) {
      throw new IllegalArgumentException(
          "heldOut must be in [1, " + (all.size() - 1) + "], got " + heldOut);
    }
    Collections.shuffle(all, new Random(seed));
    return new Split(
        List.copyOf(all.subList(heldOut, all.size())), List.copyOf(all.subList(0, heldOut)));
  }

  /**
   * Disjoint training and held-out problems.
   *
   * @param train problems for SFT and PPO
   * @param heldOut problems only evaluated
   */
  public record Split(List<Problem> train, List<Problem> heldOut) {}
}
