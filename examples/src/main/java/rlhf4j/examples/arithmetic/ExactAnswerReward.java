package rlhf4j.examples.arithmetic;

import java.util.List;
import rlhf4j.reward.RewardFunction;

/**
 * A verifiable reward for {@link AdditionTask}: 1 when the response states exactly {@code a + b}
 * (digits then EOS), {@code formatCredit} when it is a well-formed but wrong number, 0 otherwise.
 * Reads the token ids of each sample, so it needs no tokenizer.
 */
public final class ExactAnswerReward implements RewardFunction {
  private final float formatCredit;

  /**
   * @param formatCredit score of a well-formed wrong answer, in [0, 1)
   */
  public ExactAnswerReward(float formatCredit) {
    if (!(formatCredit >= 0 && formatCredit < 1)) {
      throw new IllegalArgumentException("formatCredit must be in [0, 1), got " + formatCredit);
    }
    this.formatCredit = formatCredit;
  }

  @Override
  public float[] score(List<Sample> batch) {
    float[] scores = new float[batch.size()]; // (B)
    for (int i = 0; i < scores.length; i++) {
      AdditionTask.Problem p = AdditionTask.parse(batch.get(i).promptIds());
      int stated = AdditionTask.statedAnswer(batch.get(i).responseIds());
      scores[i] = stated == p.a() + p.b() ? 1f : stated >= 0 ? formatCredit : 0f;
    }
    return scores;
  }

  @Override
  public String name() {
    return "exact-answer";
  }
}
