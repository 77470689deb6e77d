package rlhf4j.ppo.dpo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import rlhf4j.reward.model.PreferenceData;
import rlhf4j.reward.model.PreferencePair;

/**
 * A preference pair as DPO trains on it: the prompt and the two completions as separate token ids
 * (DPO scores only the completion tokens). Arrays are copied in and out.
 *
 * @param prompt the prompt's ids, non-empty
 * @param chosen the preferred completion's ids, non-empty
 * @param rejected the other completion's ids, non-empty
 */
public record DpoPair(long[] prompt, long[] chosen, long[] rejected) {

  /** Validates and copies. */
  public DpoPair {
    if (prompt == null || prompt.length == 0) {
      throw new IllegalArgumentException(
          "the prompt must have >= 1 token (the policy scores completions after it); give every"
              + " pair a prompt, e.g. the chat template's prefix");
    }
    if (chosen == null || chosen.length == 0 || rejected == null || rejected.length == 0) {
      throw new IllegalArgumentException("chosen and rejected must each have >= 1 token");
    }
    prompt = prompt.clone();
    chosen = chosen.clone();
    rejected = rejected.clone();
  }

  @Override
  public long[] prompt() {
    return prompt.clone();
  }

  @Override
  public long[] chosen() {
    return chosen.clone();
  }

  @Override
  public long[] rejected() {
    return rejected.clone();
  }

  /** The longer of prompt + chosen and prompt + rejected. */
  public int maxLength() {
    return prompt.length + Math.max(chosen.length, rejected.length);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DpoPair p
        && Arrays.equals(prompt, p.prompt)
        && Arrays.equals(chosen, p.chosen)
        && Arrays.equals(rejected, p.rejected);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(
        new int[] {Arrays.hashCode(prompt), Arrays.hashCode(chosen), Arrays.hashCode(rejected)});
  }

  @Override
  public String toString() {
    return "DpoPair[prompt="
        + Arrays.toString(prompt)
        + ", chosen="
        + Arrays.toString(chosen)
        + ", rejected="
        + Arrays.toString(rejected)
        + "]";
  }

  /**
   * Pairs read from the reward trainer's {@code {prompt, chosen, rejected}} JSONL ({@link
   * PreferenceData#read}) and tokenised: prompt and completions separately, the EOS id appended to
   * each completion when {@code eosId >= 0} (as TRL's DPO does); pairs longer than {@code
   * maxLength} are dropped (TRL truncates; dropping keeps every completion whole).
   *
   * @param pairs text pairs
   * @param encode text to ids, without special tokens
   * @param eosId appended to every completion, or -1
   * @param maxLength the config's {@code maxLength}
   */
  public static List<DpoPair> tokenize(
      List<PreferencePair> pairs, Function<String, long[]> encode, long eosId, int maxLength) {
    return tokenize(pairs, encode, encode, eosId, maxLength);
  }

  /**
   * {@link #tokenize(List, Function, long, int)} with pairs rendered by a chat template ({@link
   * PreferencePair#chat()}) encoded by {@code chatEncode}: without the tokenizer's template tokens
   * (the template wrote them), as TRL's DPO tokenizes rendered conversations ({@code
   * add_special_tokens=False}), the EOS id still appended to each completion as TRL appends it.
   */
  public static List<DpoPair> tokenize(
      List<PreferencePair> pairs,
      Function<String, long[]> encode,
      Function<String, long[]> chatEncode,
      long eosId,
      int maxLength) {
    List<DpoPair> out = new ArrayList<>(pairs.size());
    for (int i = 0; i < pairs.size(); i++) {
      PreferencePair p = pairs.get(i);
      Function<String, long[]> enc = p.chat() ? chatEncode : encode;
      long[] prompt = enc.apply(p.prompt());
      if (prompt.length == 0) {
        throw new IllegalArgumentException(
            "pair " + i + " (0-based) has an empty prompt; DPO needs >= 1 prompt token");
      }
      DpoPair pair =
          new DpoPair(
              prompt,
              withEos(enc.apply(p.chosen()), eosId),
              withEos(enc.apply(p.rejected()), eosId));
      if (pair.maxLength() <= maxLength) {
        out.add(pair);
      }
    }
    return out;
  }

  private static long[] withEos(long[] ids, long eosId) {
    if (eosId < 0) {
      return ids;
    }
    long[] out = Arrays.copyOf(ids, ids.length + 1);
    out[ids.length] = eosId;
    return out;
  }
}
