package rlhf4j.reward.builtin;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import rlhf4j.reward.GuardedReward;
import rlhf4j.reward.RewardFunction;

/**
 * {@code score = sum_k weight_k * reward_k(sample)}. Each term is guarded, so a bad term's error
 * names that term. Built with {@link #builder()}.
 */
public final class WeightedSumReward implements RewardFunction {
  /** One weighted term. */
  public record Term(double weight, RewardFunction reward) {
    /** Validates. */
    public Term {
      if (!Double.isFinite(weight)) {
        throw new IllegalArgumentException("weight must be finite, got " + weight);
      }
      Objects.requireNonNull(reward, "reward");
    }
  }

  private final List<Term> terms;

  private WeightedSumReward(List<Term> terms) {
    if (terms.isEmpty()) {
      throw new IllegalArgumentException("a weighted sum needs at least one term; call add()");
    }
    List<Term> guarded = new ArrayList<>();
    for (Term t : terms) {
      guarded.add(new Term(t.weight(), GuardedReward.of(t.reward())));
    }
    this.terms = List.copyOf(guarded);
  }

  /** An empty builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** The terms, in order (rewards wrapped in {@link GuardedReward}). */
  public List<Term> terms() {
    return terms;
  }

  @Override
  public float[] score(List<Sample> batch) {
    double[] sum = new double[batch.size()]; // (B)
    for (Term t : terms) {
      float[] s = t.reward().score(batch); // (B)
      for (int i = 0; i < sum.length; i++) {
        sum[i] += t.weight() * s[i];
      }
    }
    float[] scores = new float[sum.length];
    for (int i = 0; i < sum.length; i++) {
      scores[i] = (float) sum[i];
    }
    return scores;
  }

  @Override
  public String name() {
    return terms.stream()
        .map(t -> t.weight() + "*" + t.reward().name())
        .collect(Collectors.joining(" + ", "weighted_sum(", ")"));
  }

  /** Collects terms. */
  public static final class Builder {
    private final List<Term> terms = new ArrayList<>();

    private Builder() {}

    /** Adds {@code weight * reward}. */
    public Builder add(double weight, RewardFunction reward) {
      terms.add(new Term(weight, reward));
      return this;
    }

    /** The sum of the added terms. */
    public WeightedSumReward build() {
      return new WeightedSumReward(terms);
    }
  }
}
