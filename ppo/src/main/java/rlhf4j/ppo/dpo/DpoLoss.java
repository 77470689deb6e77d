package rlhf4j.ppo.dpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import java.util.LinkedHashMap;
import java.util.Map;
import rlhf4j.policy.model.Masked;
import rlhf4j.policy.model.Scalars;

/**
 * The DPO loss as TRL's {@code DPOTrainer._compute_loss} computes it (v1.9; 1.13 for the newer loss
 * types) with {@code f_divergence_type = "reverse_kl"} (standard DPO): the chosen and rejected
 * log-ratios {@code logp(y) - logp_ref(y)} of log-probs summed over completion tokens, {@code Delta
 * = chosen - rejected}, a per-pair loss by {@link DpoLossType}, its mean over pairs, and with
 * several loss types the sum of those means times their weights. Differentiable with respect to the
 * policy log-probs.
 */
public final class DpoLoss {

  private DpoLoss() {}

  /**
   * Everything {@link #compute} produces; the metrics are TRL's.
   *
   * @param loss () mean per-pair loss, with the graph
   * @param rewardsChosen mean {@code beta * (logp - logp_ref)(y_w)}, {@code rewards/chosen}
   * @param rewardsRejected likewise for {@code y_l}, {@code rewards/rejected}
   * @param rewardsAccuracies fraction of pairs with chosen reward > rejected, {@code
   *     rewards/accuracies}
   * @param rewardsMargins mean chosen minus rejected reward, {@code rewards/margins}
   * @param logpsChosen mean summed policy log-prob of {@code y_w}, {@code logps/chosen}
   * @param logpsRejected likewise for {@code y_l}, {@code logps/rejected}
   */
  public record Result(
      NDArray loss,
      double rewardsChosen,
      double rewardsRejected,
      double rewardsAccuracies,
      double rewardsMargins,
      double logpsChosen,
      double logpsRejected) {

    /** The metrics under TRL's names. */
    public Map<String, Double> metrics() {
      Map<String, Double> m = new LinkedHashMap<>();
      m.put("rewards/chosen", rewardsChosen);
      m.put("rewards/rejected", rewardsRejected);
      m.put("rewards/accuracies", rewardsAccuracies);
      m.put("rewards/margins", rewardsMargins);
      m.put("logps/chosen", logpsChosen);
      m.put("logps/rejected", logpsRejected);
      return m;
    }
  }

  /**
   * Summed completion log-probs, TRL's {@code per_token_logps[mask == 0] = 0; .sum(dim=1)}.
   *
   * @param perTokenLogProbs (B, T)
   * @param mask (B, T)
   * @return (B)
   */
  public static NDArray sequenceLogProbs(NDArray perTokenLogProbs, NDArray mask) {
    return perTokenLogProbs.mul(Masked.asType(mask, perTokenLogProbs)).sum(new int[] {1}); // (B)
  }

  /**
   * The loss of a batch of pairs.
   *
   * @param chosenLogps (B) summed policy log-probs of the chosen completions, with the graph
   * @param rejectedLogps (B) same for the rejected completions, with the graph
   * @param refChosenLogps (B) summed reference log-probs of the chosen completions
   * @param refRejectedLogps (B) same for the rejected completions
   * @param chosenLengths (B) completion token counts of the chosen completions (read by ipo and
   *     sigmoid_norm, clamped to at least 1, and by sft; may be null for the other types)
   * @param rejectedLengths (B) same for the rejected completions
   * @param config {@code beta}, {@code label_smoothing}, {@code loss_type} and {@code loss_weights}
   */
  public static Result compute(
      NDArray chosenLogps,
      NDArray rejectedLogps,
      NDArray refChosenLogps,
      NDArray refRejectedLogps,
      NDArray chosenLengths,
      NDArray rejectedLengths,
      DpoConfig config) {
    double beta = config.beta();
    NDArray chosenLogratios = chosenLogps.sub(refChosenLogps); // (B)
    NDArray rejectedLogratios = rejectedLogps.sub(refRejectedLogps); // (B)
    NDArray chosenScores = score(chosenLogratios, config); // (B)
    NDArray rejectedScores = score(rejectedLogratios, config); // (B)
    NDArray delta = chosenScores.sub(rejectedScores); // (B)
    Pairs pairs =
        new Pairs(
            chosenLogps,
            rejectedLogps,
            refChosenLogps,
            refRejectedLogps,
            chosenLogratios,
            rejectedLogratios,
            chosenScores,
            rejectedScores,
            delta,
            chosenLengths,
            rejectedLengths);
    NDArray loss = null; // TRL: the sum of each type's mean per-pair loss times its weight
    for (int k = 0; k < config.lossType().size(); k++) {
      NDArray perPair = perPairLoss(config.lossType().get(k), pairs, config); // (B)
      NDArray term = Scalars.mul(perPair.mean(), config.lossWeights().get(k)); // ()
      loss = loss == null ? term : loss.add(term);
    }

    NDArray chosenRewards = chosenLogratios.stopGradient().mul(beta); // (B)
    NDArray rejectedRewards = rejectedLogratios.stopGradient().mul(beta); // (B)
    return new Result(
        loss,
        mean(chosenRewards),
        mean(rejectedRewards),
        mean(chosenRewards.gt(rejectedRewards)),
        mean(chosenRewards.sub(rejectedRewards)),
        mean(chosenLogps.stopGradient()),
        mean(rejectedLogps.stopGradient()));
  }

  /**
   * {@code log sigmoid(x) = min(x, 0) - log(1 + exp(-|x|))}, stable for large |x| and with the
   * right gradient at 0 (torch's {@code F.logsigmoid} uses the same form).
   */
  static NDArray logSigmoid(NDArray x) {
    NDArray zero = Scalars.of(x, 0.0);
    NDArray tail = x.abs().neg().exp().add(Scalars.of(x, 1.0)).log(); // like x
    return NDArrays.minimum(x, zero).sub(tail);
  }

  /** The batch's arrays a per-pair loss reads. */
  private record Pairs(
      NDArray chosenLogps, // (B)
      NDArray rejectedLogps,
      NDArray refChosenLogps,
      NDArray refRejectedLogps,
      NDArray chosenLogratios,
      NDArray rejectedLogratios,
      NDArray chosenScores,
      NDArray rejectedScores,
      NDArray delta, // chosenScores - rejectedScores
      NDArray chosenLengths,
      NDArray rejectedLengths) {}

  /** A log-ratio's score under the config's f-divergence, {@code f'(exp(lr))}. // (B) */
  private static NDArray score(NDArray logratio, DpoConfig config) {
    return switch (config.fDivergenceType()) {
      case REVERSE_KL -> logratio;
      case FORWARD_KL -> oneMinus(logratio.neg().exp());
      case JS_DIVERGENCE -> logSigmoid(logratio).add(Scalars.of(logratio, Math.log(2)));
      case ALPHA_DIVERGENCE -> {
        double alpha = config.fAlphaDivergenceCoef();
        if (Math.abs(alpha - 1.0) < 1e-6) {
          yield logratio;
        }
        NDArray t = Scalars.mul(logratio, alpha - 1.0).clip(-Float.MAX_VALUE, 80.0); // like lr
        yield Scalars.mul(t.exp().sub(Scalars.of(t, 1.0)), 1.0 / (alpha - 1.0));
      }
    };
  }

  /** One loss type's per-pair loss. // (B) */
  private static NDArray perPairLoss(DpoLossType type, Pairs p, DpoConfig config) {
    double beta = config.beta();
    return switch (type) {
      case SIGMOID -> logSigmoid(Scalars.mul(p.delta(), beta)).neg();
      case HINGE -> {
        NDArray margin = Scalars.mul(p.delta(), -beta).add(Scalars.of(p.delta(), 1.0)); // (B)
        yield Activation.relu(margin); // torch.relu: gradient 0 at the kink, as in TRL
      }
      case IPO -> {
        NDArray ipoDelta =
            normalizedDelta(
                p.chosenScores(),
                p.rejectedScores(),
                p.chosenLengths(),
                p.rejectedLengths()); // (B)
        yield ipoDelta.sub(Scalars.of(ipoDelta, 1 / (2 * beta))).square();
      }
      case SIGMOID_NORM ->
          logSigmoid(
                  Scalars.mul(
                      normalizedDelta(
                          p.chosenScores(),
                          p.rejectedScores(),
                          p.chosenLengths(),
                          p.rejectedLengths()),
                      beta))
              .neg();
      case EXO_PAIR -> exoPair(p.delta(), beta, config.labelSmoothing());
      case NCA_PAIR -> {
        NDArray rw = Scalars.mul(p.chosenLogratios(), beta); // (B)
        NDArray rl = Scalars.mul(p.rejectedLogratios(), beta); // (B)
        yield logSigmoid(rw)
            .neg()
            .sub(Scalars.mul(logSigmoid(rw.neg()), 0.5))
            .sub(Scalars.mul(logSigmoid(rl.neg()), 0.5));
      }
      case BCO_PAIR ->
          logSigmoid(Scalars.mul(p.chosenLogratios(), beta))
              .neg()
              .sub(logSigmoid(Scalars.mul(p.rejectedLogratios(), beta).neg()));
      case SPPO_HARD -> {
        NDArray w = p.chosenLogratios().sub(Scalars.of(p.chosenLogratios(), 0.5 / beta)).square();
        NDArray l =
            p.rejectedLogratios().add(Scalars.of(p.rejectedLogratios(), 0.5 / beta)).square();
        yield w.add(l);
      }
      case APO_ZERO ->
          oneMinus(sigmoid(Scalars.mul(p.chosenLogratios(), beta)))
              .add(sigmoid(Scalars.mul(p.rejectedLogratios(), beta)));
      case APO_DOWN ->
          sigmoid(Scalars.mul(p.chosenLogratios(), beta))
              .add(oneMinus(sigmoid(Scalars.mul(p.delta(), beta))));
      case AOT ->
          aot(
              p.chosenLogps().sub(p.rejectedLogps()).sort(0),
              p.refChosenLogps().sub(p.refRejectedLogps()).sort(0),
              beta,
              config.labelSmoothing());
      case AOT_UNPAIRED ->
          aot(
              p.chosenLogratios().sort(0),
              p.rejectedLogratios().sort(0),
              beta,
              config.labelSmoothing());
      case SFT -> {
        if (p.chosenLengths() == null) {
          throw new IllegalArgumentException(
              "the sft loss needs the chosen completion lengths; pass them");
        }
        NDArray tokens = p.chosenLengths().toType(p.chosenLogps().getDataType(), false).sum(); // ()
        yield p.chosenLogps().sum().neg().div(tokens).broadcast(p.chosenLogps().getShape()); // (B)
      }
      case DISCOPOP -> {
        NDArray logits = Scalars.mul(p.delta(), beta); // (B)
        NDArray blend = sigmoid(Scalars.div(logits, config.discopopTau())); // (B)
        NDArray logistic = logSigmoid(logits).neg(); // (B)
        yield logistic.mul(oneMinus(blend)).add(logits.neg().exp().mul(blend));
      }
      case ROBUST -> {
        double eps = config.labelSmoothing();
        NDArray clean = Scalars.mul(logSigmoid(Scalars.mul(p.delta(), beta)), -(1 - eps)); // (B)
        NDArray flipped = Scalars.mul(logSigmoid(Scalars.mul(p.delta(), -beta)), -eps); // (B)
        yield Scalars.div(clean.sub(flipped), 1 - 2 * eps);
      }
    };
  }

  /** Length-normalised score difference {@code s_w/|y_w| - s_l/|y_l|} (IPO, sigmoid_norm). */
  private static NDArray normalizedDelta(
      NDArray chosenScores,
      NDArray rejectedScores,
      NDArray chosenLengths,
      NDArray rejectedLengths) {
    if (chosenLengths == null || rejectedLengths == null) {
      throw new IllegalArgumentException(
          "a length-normalised loss (ipo, sigmoid_norm) needs the chosen and rejected completion"
              + " lengths; pass them");
    }
    NDArray chosenAvg = chosenScores.div(atLeastOne(chosenLengths, chosenScores)); // (B)
    NDArray rejectedAvg = rejectedScores.div(atLeastOne(rejectedLengths, chosenScores));
    return chosenAvg.sub(rejectedAvg); // (B)
  }

  /** AOT's robust loss of rank-matched sorted log-ratios {@code a - b}. // (B) */
  private static NDArray aot(NDArray sortedA, NDArray sortedB, double beta, double eps) {
    NDArray x = Scalars.mul(sortedA.sub(sortedB), beta); // (B)
    return Scalars.mul(logSigmoid(x).neg(), 1 - eps).sub(Scalars.mul(logSigmoid(x.neg()), eps));
  }

  /** EXO-pref for two completions, label smoothing eps &gt; 0. // (B) */
  private static NDArray exoPair(NDArray delta, double beta, double eps) {
    NDArray x = Scalars.mul(delta, beta); // (B)
    NDArray qw = sigmoid(x);
    NDArray ql = sigmoid(x.neg());
    NDArray winner = qw.mul(logSigmoid(x).sub(Scalars.of(x, Math.log1p(-eps))));
    NDArray loser = ql.mul(logSigmoid(x.neg()).sub(Scalars.of(x, Math.log(eps))));
    return winner.add(loser);
  }

  private static NDArray sigmoid(NDArray x) {
    return ai.djl.nn.Activation.sigmoid(x);
  }

  private static NDArray oneMinus(NDArray x) {
    return Scalars.of(x, 1.0).sub(x);
  }

  private static NDArray atLeastOne(NDArray lengths, NDArray like) {
    NDArray l =
        lengths.getDataType() == like.getDataType()
            ? lengths
            : lengths.toType(like.getDataType(), false);
    return l.clip(1.0, Float.MAX_VALUE);
  }

  private static double mean(NDArray x) {
    return x.toType(DataType.FLOAT64, false).mean().getDouble();
  }
}
