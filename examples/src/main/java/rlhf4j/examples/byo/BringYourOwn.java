package rlhf4j.examples.byo;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import rlhf4j.policy.hf.HfCheckpoint;
import rlhf4j.policy.lora.LoraConfig;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ValueHead;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.policy.train.Engines;
import rlhf4j.ppo.PpoConfig;
import rlhf4j.ppo.PpoTrainer;
import rlhf4j.reference.AdapterSwitchingReference;
import rlhf4j.reward.RewardFunction;
import rlhf4j.reward.RewardFunctions;
import rlhf4j.rollout.GenerationConfig;
import rlhf4j.rollout.Generator;
import rlhf4j.rollout.sampling.SamplingConfig;

/**
 * Bring your own HF checkpoint: loads a GPT-2 / Llama / Qwen2 / Mistral / GPT-NeoX folder ({@code
 * config.json}, {@code model.safetensors}, {@code tokenizer.json}), samples before and after a
 * short PPO run with the built-in keyword reward, then saves the LoRA adapter in PEFT's format and
 * a merged standalone model (with the tokenizer files). Run: {@code BringYourOwn MODEL_DIR OUT_DIR
 * [keywords] [steps]}; keywords are comma-separated (default {@value #DEFAULT_KEYWORDS}).
 */
public final class BringYourOwn {
  /** Keywords rewarded by default: common letters, so a random model meets some. */
  public static final String DEFAULT_KEYWORDS = "e,a,o,t";

  /** The prompts sampled before and after training. */
  public static final List<String> PROMPTS =
      List.of(
          "The weather today is",
          "My favourite food is",
          "Once upon a time",
          "The best way to learn is");

  private static final List<String> TOKENIZER_FILES =
      List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json");

  /**
   * What a run produced.
   *
   * @param before sampled responses to {@link #PROMPTS} before training
   * @param after the same prompts and sampling seed after training
   * @param meanRewards the mean keyword reward of each PPO step
   * @param adapterDir the saved PEFT adapter ({@code adapter_config.json}, {@code
   *     adapter_model.safetensors})
   * @param mergedDir the merged HF model with the tokenizer files
   */
  public record Result(
      List<String> before,
      List<String> after,
      List<Double> meanRewards,
      Path adapterDir,
      Path mergedDir) {}

  private BringYourOwn() {}

  /** Usage line printed (with exit code 2) when MODEL_DIR and OUT_DIR are missing. */
  static final String USAGE = "usage: BringYourOwn MODEL_DIR OUT_DIR [keywords] [steps]";

  public static void main(String[] args) throws IOException {
    int code = main(System.err, args);
    if (code != 0) {
      System.exit(code);
    }
  }

  /** Runs the example; returns 2 after printing the usage when arguments are missing. */
  static int main(java.io.PrintStream err, String... args) throws IOException {
    if (args.length < 2) {
      err.println(USAGE);
      return 2;
    }
    Engines.configure(1); // offline, one intra-op thread
    System.setProperty("org.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils", "error"); // no GPU
    Result r =
        run(
            Path.of(args[0]),
            Path.of(args[1]),
            args.length > 2 ? args[2] : DEFAULT_KEYWORDS,
            args.length > 3 ? Integer.parseInt(args[3]) : 4,
            0);
    System.out.println("adapter: " + r.adapterDir() + "\nmerged model: " + r.mergedDir());
    return 0;
  }

  /**
   * Loads {@code modelDir}, trains a LoRA adapter for {@code steps} PPO steps on {@link #PROMPTS}
   * with a keyword reward, and writes {@code outDir/adapter} and {@code outDir/merged}.
   */
  public static Result run(Path modelDir, Path outDir, String keywords, int steps, long seed)
      throws IOException {
    try (CausalLM model = HfCheckpoint.load(modelDir);
        Tokenizer tokenizer = Tokenizer.load(modelDir)) {
      if (tokenizer.vocabSize() > model.config().vocabSize()) {
        throw new IllegalArgumentException(
            modelDir
                + ": tokenizer.json has "
                + tokenizer.vocabSize()
                + " tokens but config.json's vocab_size is "
                + model.config().vocabSize());
      }
      long eos = tokenizer.eosId() >= 0 ? tokenizer.eosId() : model.config().eosTokenId();
      long pad = tokenizer.padId() >= 0 ? tokenizer.padId() : Math.max(0, eos);
      GenerationConfig generation =
          GenerationConfig.builder()
              .maxNewTokens(12)
              .eosTokenId(eos)
              .padTokenId(pad)
              .sampling(SamplingConfig.ofSeed(seed))
              .build();
      List<long[]> prompts = new ArrayList<>();
      PROMPTS.forEach(p -> prompts.add(tokenizer.encode(p)));

      // LoRA on the family's default modules (c_attn for GPT-2, q_proj/v_proj for Llama)
      LoraConfig lora = LoraConfig.builder().r(8).loraAlpha(16).build();
      try (LoraModel policy = LoraModel.inject(model, lora, seed);
          NDManager manager = NDManager.newBaseManager();
          ValueHead valueHead =
              ValueHead.create(manager, model.config().hiddenSize(), false, seed)) {
        List<String> before = sample(model, generation, tokenizer, prompts);
        RewardFunction reward =
            RewardFunctions.load("keyword", Map.of("keywords", keywords, "mode", "fraction"));
        PpoTrainer trainer =
            PpoTrainer.builder()
                .model(model)
                .trainable(policy.trainableParameters())
                .valueHead(valueHead)
                .reference(new AdapterSwitchingReference(policy))
                .config(
                    PpoConfig.builder()
                        .batchSize(prompts.size())
                        .miniBatchSize(2)
                        .learningRate(5e-3)
                        .adaptiveKl(false)
                        .initKlCoef(0.05)
                        .seed(seed)
                        .build())
                .generation(generation)
                .tokenizer(tokenizer) // the keyword reward reads response texts
                .padId(pad)
                .build();
        List<Double> meanRewards = new ArrayList<>();
        trainer.train(
            prompts,
            reward,
            steps,
            (t, rollout, stats) -> {
              meanRewards.add(stats.get("objective/scores"));
              System.out.printf(
                  "ppo step %d  mean reward %.3f  kl %.4f%n",
                  t.stepCount(), stats.get("objective/scores"), stats.get("objective/kl"));
            });
        List<String> after = sample(model, generation, tokenizer, prompts);
        for (int i = 0; i < PROMPTS.size(); i++) {
          System.out.printf(
              "%s%n  before: %s%n  after:  %s%n",
              PROMPTS.get(i), printable(before.get(i)), printable(after.get(i)));
        }

        Path adapterDir = outDir.resolve("adapter");
        Path mergedDir = outDir.resolve("merged");
        policy.save(adapterDir); // PEFT: adapter_config.json + adapter_model.safetensors
        policy.mergeAndSave(mergedDir); // config.json + model.safetensors, live model unchanged
        for (String f : TOKENIZER_FILES) {
          if (Files.isRegularFile(modelDir.resolve(f))) {
            Files.copy(
                modelDir.resolve(f), mergedDir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
          }
        }
        return new Result(before, after, List.copyOf(meanRewards), adapterDir, mergedDir);
      }
    }
  }

  /** {@code text} with control and replacement characters shown as {@code ·}. */
  static String printable(String text) {
    StringBuilder sb = new StringBuilder();
    text.codePoints()
        .forEach(c -> sb.appendCodePoint(Character.isISOControl(c) || c == 0xFFFD ? '·' : c));
    return sb.toString();
  }

  private static List<String> sample(
      CausalLM model, GenerationConfig generation, Tokenizer tokenizer, List<long[]> prompts) {
    return new Generator(model, generation, null, tokenizer, List.of()).generate(prompts).texts();
  }
}
