package rlhf4j.examples.arithmetic;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import rlhf4j.policy.family.Presets;
import rlhf4j.policy.lora.LoraConfig;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ModelConfig;
import rlhf4j.policy.model.ValueHead;
import rlhf4j.policy.sft.SftConfig;
import rlhf4j.policy.sft.SftExample;
import rlhf4j.policy.sft.SftSummary;
import rlhf4j.policy.sft.SftTrainer;
import rlhf4j.policy.train.Engines;
import rlhf4j.ppo.PpoConfig;
import rlhf4j.ppo.PpoTrainer;
import rlhf4j.ppo.RunConfig;
import rlhf4j.ppo.TrainerSetup;
import rlhf4j.ppo.grpo.GrpoConfig;
import rlhf4j.ppo.grpo.GrpoTrainer;
import rlhf4j.reference.AdapterSwitchingReference;
import rlhf4j.rollout.GenerationConfig;
import rlhf4j.rollout.Generator;
import rlhf4j.rollout.Rollout;
import rlhf4j.rollout.sampling.SamplingConfig;

/**
 * Addition with a verifiable reward. A tiny GPT-2-shaped model is fine-tuned on {@code a+b=} → sum,
 * from data where a chatty annotator often restates the answer ({@code 12+7=19=19}); PPO with
 * {@link ExactAnswerReward} (exactly the sum, then EOS) on the training prompts then raises its
 * greedy accuracy on held-out problems; or GRPO ({@link GrpoTrainer}: G sampled answers per
 * problem, group-relative advantages, no value head) does. Run: {@code Arithmetic [sftSteps]
 * [ppoSteps] [seed] [ppo|grpo]}.
 */
public final class Arithmetic {

  /** The RL step after SFT. */
  public enum Algorithm {
    /** PPO with a value head ({@link PpoTrainer}). */
    PPO,
    /** GRPO, {@link Options#GROUP_SIZE} answers per problem ({@link GrpoTrainer}). */
    GRPO
  }

  /**
   * Settings of a run.
   *
   * @param maxOperand operands are drawn from {@code [0, maxOperand)}
   * @param heldOut problems kept out of SFT and PPO, used for the accuracies
   * @param chattyRate fraction of SFT answers written chattily ({@code 12+7=19=19})
   * @param sftSteps supervised steps (batches of 32)
   * @param ppoSteps PPO steps
   * @param ppoBatchSize prompts per PPO step
   * @param ppoLearningRate PPO's Adam learning rate
   * @param temperature sampling temperature of the PPO rollouts
   * @param seed seeds the split, the data noise, the weights, SFT shuffling and PPO sampling
   * @param algorithm PPO or GRPO; GRPO takes {@code ppoBatchSize / GROUP_SIZE} problems per step,
   *     each answered {@code GROUP_SIZE} times, so both see {@code ppoBatchSize} answers a step
   */
  public record Options(
      int maxOperand,
      int heldOut,
      double chattyRate,
      int sftSteps,
      int ppoSteps,
      int ppoBatchSize,
      double ppoLearningRate,
      double temperature,
      long seed,
      Algorithm algorithm) {
    /** GRPO's answers per problem (G). */
    public static final int GROUP_SIZE = 8;

    /** Checks the values. */
    public Options {
      if (algorithm == null) {
        throw new IllegalArgumentException("algorithm must be PPO or GRPO, got null");
      }
      if (algorithm == Algorithm.GRPO && ppoBatchSize % GROUP_SIZE != 0) {
        throw new IllegalArgumentException(
            "GRPO needs ppoBatchSize to be a multiple of G = "
                + GROUP_SIZE
                + ", got "
                + ppoBatchSize);
      }
      if (sftSteps < 1 || ppoSteps < 1) {
        throw new IllegalArgumentException(
            "sftSteps and ppoSteps must be >= 1, got " + sftSteps + " and " + ppoSteps);
      }
      if (ppoBatchSize < 2 || ppoBatchSize % 2 != 0) {
        throw new IllegalArgumentException(
            "ppoBatchSize must be even and >= 2, got " + ppoBatchSize);
      }
      if (!(chattyRate >= 0 && chattyRate <= 1)) {
        throw new IllegalArgumentException("chattyRate must be in [0, 1], got " + chattyRate);
      }
    }

    /** The defaults: a run of well under a minute on two cores. */
    public static Options defaults() {
      return new Options(20, 100, 0.6, 250, 15, 32, 1e-3, 1.0, 0, Algorithm.PPO);
    }

    /**
     * The defaults with GRPO: the same data and SFT; 25 steps of 16 problems x G 8 answers, 4
     * optimizer steps per batch of answers (PPO's 4 epochs), learning rate 2e-3, no KL term (TRL's
     * beta 0). With PPO's 32 answers a step (4 problems) GRPO saw too few problems: seed 0 gave
     * held-out 0.13 -> 0.22; with 64, 0.13 -> 0.36; with 128, 0.43 (15 steps) and 0.46 (20). With
     * decode-only weight-first GEMMs (Gemm, 2026-12-06) the float order changed and 20 steps gave
     * seeds 0/1/2 +29/+43/+49 points, 25 steps +32/+44/+52, 30 steps +33/+44/+47.
     */
    public static Options grpoDefaults() {
      return new Options(20, 100, 0.6, 250, 25, 128, 2e-3, 1.0, 0, Algorithm.GRPO);
    }

    /** A copy with other step counts and seed. */
    public Options with(int sftSteps, int ppoSteps, long seed) {
      return new Options(
          maxOperand,
          heldOut,
          chattyRate,
          sftSteps,
          ppoSteps,
          ppoBatchSize,
          ppoLearningRate,
          temperature,
          seed,
          algorithm);
    }
  }

  /**
   * Greedy answers to a set of problems.
   *
   * @param accuracy fraction exactly right (digits of the sum, then EOS)
   * @param wellFormed fraction that are a number then EOS, right or wrong (not chatty)
   */
  public record Evaluation(double accuracy, double wellFormed) {
    @Override
    public String toString() {
      return String.format("accuracy %.3f (well-formed %.3f)", accuracy, wellFormed);
    }
  }

  /**
   * What a run measured.
   *
   * @param sft the supervised run
   * @param heldOutBefore the held-out problems after SFT
   * @param heldOutAfter the held-out problems after PPO
   * @param trainBefore the training problems after SFT
   * @param trainAfter the training problems after PPO
   * @param meanRewards the mean reward of each PPO step's sampled answers
   */
  public record Result(
      SftSummary sft,
      Evaluation heldOutBefore,
      Evaluation heldOutAfter,
      Evaluation trainBefore,
      Evaluation trainAfter,
      List<Double> meanRewards) {}

  private Arithmetic() {}

  public static void main(String[] args) {
    Engines.configure(1); // offline, one intra-op thread
    System.setProperty("org.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils", "error"); // no GPU
    Options d =
        args.length > 3 && args[3].equalsIgnoreCase("grpo")
            ? Options.grpoDefaults()
            : Options.defaults();
    Options o =
        d.with(
            args.length > 0 ? Integer.parseInt(args[0]) : d.sftSteps(),
            args.length > 1 ? Integer.parseInt(args[1]) : d.ppoSteps(),
            args.length > 2 ? Long.parseLong(args[2]) : d.seed());
    Result r = run(o);
    System.out.printf(
        "greedy accuracy on %d held-out problems: %.3f after SFT, %.3f after %s%n",
        o.heldOut(), r.heldOutBefore().accuracy(), r.heldOutAfter().accuracy(), o.algorithm());
  }

  /** The model: GPT-2 layout, 2 blocks of width 64, 16 positions, the 13-token vocabulary. */
  public static ModelConfig modelConfig() {
    int eos = AdditionTask.EOS;
    // positions: "19+19=" plus "38=38<eos>" is 12 tokens
    return Presets.gpt2(AdditionTask.VOCAB_SIZE, 64, 2, 4, 16).toBuilder()
        .bosTokenId(eos)
        .eosTokenId(eos)
        .padTokenId(eos)
        .build();
  }

  /** The SFT data: one example per problem, chatty with probability {@code chattyRate}. */
  public static List<SftExample> chattyExamples(
      List<AdditionTask.Problem> problems, double chattyRate, long seed) {
    Random coin = new Random(seed);
    List<SftExample> examples = new ArrayList<>();
    for (AdditionTask.Problem p : problems) {
      boolean chatty = coin.nextDouble() < chattyRate;
      examples.add(SftExample.of(p.promptIds(), chatty ? p.chattyAnswerIds() : p.answerIds()));
    }
    return examples;
  }

  /** SFT, accuracy, PPO, accuracy; prints progress. */
  public static Result run(Options o) {
    AdditionTask.Split split = AdditionTask.split(o.maxOperand(), o.heldOut(), o.seed());
    try (CausalLM model = CausalLM.random(modelConfig(), o.seed())) {
      // 1. supervised fine-tuning of every weight on the chatty data
      SftConfig sftConfig =
          SftConfig.builder()
              .learningRate(3e-3)
              .maxSteps(o.sftSteps())
              .batchSize(32)
              .maxLength(16)
              .seed(o.seed())
              .logEvery(40)
              .build();
      SftSummary sft =
          new SftTrainer(model, sftConfig)
              .train(
                  chattyExamples(split.train(), o.chattyRate(), o.seed()),
                  (step, loss, lr, tps) ->
                      System.out.printf("sft step %4d  loss %.3f%n", step, loss));
      Evaluation before = evaluate(model, split.heldOut());
      Evaluation trainBefore = evaluate(model, split.train());
      System.out.println("after SFT, held-out: " + before + ", train: " + trainBefore);

      // 2. PPO or GRPO with LoRA on every linear layer; the reference is the SFT model (adapters
      // off)
      LoraConfig lora =
          LoraConfig.builder()
              .r(8)
              .loraAlpha(16)
              .targetModules(List.of("c_attn", "c_proj", "c_fc"))
              .build();
      List<long[]> prompts = new ArrayList<>();
      split.train().forEach(p -> prompts.add(p.promptIds()));
      try (LoraModel policy = LoraModel.inject(model, lora, o.seed())) {
        List<Double> meanRewards =
            o.algorithm() == Algorithm.GRPO
                ? grpo(o, model, policy, prompts)
                : ppo(o, model, policy, prompts);
        Evaluation after = evaluate(model, split.heldOut());
        Evaluation trainAfter = evaluate(model, split.train());
        System.out.println(
            "after " + o.algorithm() + ", held-out: " + after + ", train: " + trainAfter);
        return new Result(sft, before, after, trainBefore, trainAfter, List.copyOf(meanRewards));
      }
    }
  }

  /** PPO steps; returns each step's mean reward. */
  private static List<Double> ppo(
      Options o, CausalLM model, LoraModel policy, List<long[]> prompts) {
    try (NDManager manager = NDManager.newBaseManager();
        ValueHead valueHead =
            ValueHead.create(manager, model.config().hiddenSize(), true, o.seed())) {
      PpoTrainer trainer =
          PpoTrainer.builder()
              .model(model)
              .trainable(policy.trainableParameters())
              .valueHead(valueHead)
              .reference(new AdapterSwitchingReference(policy))
              .config(
                  PpoConfig.builder()
                      .batchSize(o.ppoBatchSize())
                      .miniBatchSize(o.ppoBatchSize() / 2)
                      .learningRate(o.ppoLearningRate())
                      .maxGradNorm(1.0)
                      .adaptiveKl(false)
                      .initKlCoef(0.05)
                      .temperature(o.temperature())
                      .seed(o.seed())
                      .build())
              .generation(
                  generation(
                      SamplingConfig.builder().temperature(o.temperature()).seed(o.seed()).build()))
              .padId(AdditionTask.EOS)
              .build();
      List<Double> meanRewards = new ArrayList<>();
      trainer.train(
          prompts,
          new ExactAnswerReward(0.1f),
          o.ppoSteps(),
          (t, rollout, stats) -> {
            meanRewards.add(stats.get("objective/scores"));
            System.out.printf(
                "ppo step %3d  mean reward %.3f  kl %.3f%n",
                t.stepCount(), stats.get("objective/scores"), stats.get("objective/kl"));
          });
      return meanRewards;
    }
  }

  /**
   * GRPO steps ({@code ppoBatchSize / G} problems x G answers each); returns each step's mean
   * reward.
   */
  private static List<Double> grpo(
      Options o, CausalLM model, LoraModel policy, List<long[]> prompts) {
    GrpoConfig config =
        GrpoConfig.builder()
            .numGenerations(Options.GROUP_SIZE)
            .numIterations(4) // PPO's 4 epochs over each batch of answers
            .learningRate(o.ppoLearningRate())
            .temperature(o.temperature())
            .maxCompletionLength(4)
            .build(); // beta 0 (TRL): no reference pass
    RunConfig run =
        RunConfig.builder()
            .batchSize(o.ppoBatchSize() / Options.GROUP_SIZE)
            .miniBatchSize(o.ppoBatchSize() / 2)
            .seed(o.seed())
            .build();
    TrainerSetup setup =
        TrainerSetup.builder()
            .model(model)
            .trainable(policy.trainableParameters())
            .reference(new AdapterSwitchingReference(policy))
            .generation(
                generation(
                    SamplingConfig.builder().temperature(o.temperature()).seed(o.seed()).build()))
            .padId(AdditionTask.EOS);
    List<Double> meanRewards = new ArrayList<>();
    try (GrpoTrainer trainer = new GrpoTrainer(setup, config, run)) {
      trainer.train(
          prompts,
          List.of(new ExactAnswerReward(0.1f)),
          o.ppoSteps(),
          (t, stats) -> {
            meanRewards.add(stats.get("reward"));
            System.out.printf(
                "grpo step %3d  mean reward %.3f  reward std %.3f%n",
                t.stepCount(), stats.get("reward"), stats.get("reward_std"));
          });
    }
    return meanRewards;
  }

  /** Greedy answers to {@code problems}, scored. */
  public static Evaluation evaluate(CausalLM model, List<AdditionTask.Problem> problems) {
    List<long[]> prompts = new ArrayList<>();
    problems.forEach(p -> prompts.add(p.promptIds()));
    Rollout r =
        new Generator(model, generation(SamplingConfig.builder().greedy(true).build()))
            .generate(prompts);
    int right = 0;
    int wellFormed = 0;
    for (int i = 0; i < problems.size(); i++) {
      AdditionTask.Problem p = problems.get(i);
      int stated = AdditionTask.statedAnswer(r.responses().get(i));
      right += stated == p.a() + p.b() ? 1 : 0;
      wellFormed += stated >= 0 ? 1 : 0;
    }
    return new Evaluation((double) right / problems.size(), (double) wellFormed / problems.size());
  }

  private static GenerationConfig generation(SamplingConfig sampling) {
    return GenerationConfig.builder()
        .maxNewTokens(4)
        .eosTokenId(AdditionTask.EOS)
        .padTokenId(AdditionTask.EOS)
        .sampling(sampling)
        .build();
  }
}
