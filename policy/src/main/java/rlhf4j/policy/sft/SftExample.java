package rlhf4j.policy.sft;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import rlhf4j.policy.chat.ChatTemplate;
import rlhf4j.policy.chat.ChatTexts;
import rlhf4j.policy.chat.Conversations;
import rlhf4j.policy.tokenizer.Tokenizer;

/**
 * One training example as token ids: a prompt (possibly empty) followed by a completion. With
 * {@link SftConfig#completionOnlyLoss()} only completion tokens are targets; a plain sequence is an
 * example with an empty prompt, so every token after the first is a target.
 *
 * @param prompt prompt ids (copied)
 * @param completion completion ids (copied), at least one
 */
public record SftExample(long[] prompt, long[] completion) {

  /** Copies both arrays; the completion must not be empty. */
  public SftExample {
    Objects.requireNonNull(prompt, "prompt");
    Objects.requireNonNull(completion, "completion");
    if (completion.length == 0) {
      throw new IllegalArgumentException("completion must have at least one token");
    }
    prompt = prompt.clone();
    completion = completion.clone();
  }

  /**
   * A plain token sequence (language-modelling example): every token after the first is a target.
   */
  public static SftExample of(long[] ids) {
    return new SftExample(new long[0], ids);
  }

  /** A prompt/completion pair. */
  public static SftExample of(long[] prompt, long[] completion) {
    return new SftExample(prompt, completion);
  }

  /** Plain sequences, one example each. */
  public static List<SftExample> ofSequences(List<long[]> sequences) {
    List<SftExample> out = new ArrayList<>(sequences.size());
    for (long[] s : sequences) {
      out.add(of(s));
    }
    return out;
  }

  /**
   * A text example: {@code tokenizer.encode(text)} (with the tokenizer's template tokens) followed
   * by EOS unless it already ends with it, as TRL's SFTTrainer appends EOS.
   */
  public static SftExample fromText(Tokenizer tokenizer, String text) {
    Objects.requireNonNull(text, "text");
    return of(withEos(tokenizer, tokenizer.encode(text)));
  }

  /** {@link #fromText} for each text. */
  public static List<SftExample> fromTexts(Tokenizer tokenizer, List<String> texts) {
    List<SftExample> out = new ArrayList<>(texts.size());
    for (String t : texts) {
      out.add(fromText(tokenizer, t));
    }
    return out;
  }

  /**
   * A prompt/completion text pair: the prompt encoded with the tokenizer's template tokens, the
   * completion encoded without them and followed by EOS. The two are encoded separately, so a BPE
   * merge across the boundary (rare with a space-led completion) is not made.
   */
  public static SftExample fromPromptCompletion(
      Tokenizer tokenizer, String prompt, String completion) {
    Objects.requireNonNull(prompt, "prompt");
    Objects.requireNonNull(completion, "completion");
    return of(tokenizer.encode(prompt), withEos(tokenizer, tokenizer.encodePlain(completion)));
  }

  /**
   * A conversational example (a {@code {"messages": [...]}} row ending with the assistant's turn):
   * rendered with {@code template} as TRL renders it ({@link Conversations#lastAssistantTurn}), the
   * prompt (everything up to the generation prompt) and the final assistant turn encoded without
   * template tokens (the chat template writes them). With {@link SftConfig#completionOnlyLoss()}
   * only the assistant's tokens, its end-of-turn token included, are targets. No EOS is appended:
   * the template ends the turn.
   */
  public static SftExample fromChat(
      Tokenizer tokenizer, ChatTemplate template, List<? extends Map<String, ?>> messages) {
    ChatTexts t = Conversations.lastAssistantTurn(template, messages);
    return of(tokenizer.encodePlain(t.prompt()), tokenizer.encodePlain(t.completion()));
  }

  private static long[] withEos(Tokenizer tokenizer, long[] ids) {
    int eos = tokenizer.eosId();
    if (eos < 0) {
      throw new IllegalArgumentException(
          "the tokenizer defines no EOS token; set eos_token in tokenizer_config.json");
    }
    if (ids.length > 0 && ids[ids.length - 1] == eos) {
      return ids;
    }
    long[] out = Arrays.copyOf(ids, ids.length + 1);
    out[ids.length] = eos;
    return out;
  }

  /** The prompt ids (a copy). */
  @Override
  public long[] prompt() {
    return prompt.clone();
  }

  /** The completion ids (a copy). */
  @Override
  public long[] completion() {
    return completion.clone();
  }

  /** Prompt then completion ids. */
  public long[] ids() {
    long[] out = Arrays.copyOf(prompt, prompt.length + completion.length);
    System.arraycopy(completion, 0, out, prompt.length, completion.length);
    return out;
  }

  /** Prompt plus completion length. */
  public int length() {
    return prompt.length + completion.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SftExample e
        && Arrays.equals(prompt, e.prompt)
        && Arrays.equals(completion, e.completion);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(prompt) + Arrays.hashCode(completion);
  }

  @Override
  public String toString() {
    return "SftExample[prompt="
        + Arrays.toString(prompt)
        + ", completion="
        + Arrays.toString(completion)
        + "]";
  }
}
