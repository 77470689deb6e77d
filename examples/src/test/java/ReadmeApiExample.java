import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.List;
import rlhf4j.policy.hf.HfCheckpoint;
import rlhf4j.policy.lora.LoraConfig;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.ValueHead;
import rlhf4j.policy.tokenizer.Tokenizer;
import rlhf4j.ppo.JsonlStatsWriter;
import rlhf4j.ppo.PpoConfig;
import rlhf4j.ppo.PpoTrainer;
import rlhf4j.reference.AdapterSwitchingReference;
import rlhf4j.reward.RewardFunction;
import rlhf4j.rollout.GenerationConfig;

public class ReadmeApiExample {
  public static void main(String[] args) throws Exception {
    try (CausalLM model = HfCheckpoint.load(Path.of("my-gpt2"));
        Tokenizer tok = Tokenizer.load(Path.of("my-gpt2"));
        LoraModel policy =
            LoraModel.inject(
                model,
                LoraConfig.builder()
                    .r(16)
                    .loraAlpha(32)
                    .loraDropout(0.05)
                    .targetModules(List.of("c_attn"))
                    .build(),
                0);
        NDManager m = NDManager.newBaseManager();
        ValueHead valueHead = ValueHead.create(m, model.config().hiddenSize(), true, 0)) {
      RewardFunction reward = // any lambda: one float per response
          batch -> {
            float[] s = new float[batch.size()];
            for (int i = 0; i < s.length; i++) {
              s[i] = batch.get(i).response().contains("great") ? 1f : 0f;
            }
            return s;
          };
      PpoTrainer trainer =
          PpoTrainer.builder()
              .model(model)
              .trainable(policy.trainableParameters()) // only the adapters (+ value head) train
              .valueHead(valueHead)
              .reference(new AdapterSwitchingReference(policy)) // reference = adapters off
              .config(PpoConfig.builder().batchSize(16).miniBatchSize(4).learningRate(1e-4).build())
              .generation(
                  GenerationConfig.builder()
                      .maxNewTokens(24)
                      .eosTokenId(tok.eosId())
                      .padTokenId(tok.eosId())
                      .build())
              .tokenizer(tok)
              .listener(new JsonlStatsWriter(Path.of("metrics.jsonl")))
              .build();
      List<long[]> prompts = List.of(tok.encode("The movie was"), tok.encode("I thought the film"));
      trainer.train(prompts, reward, 100, null); // or trainer.step(queries, responses, scores)
      policy.save(Path.of("adapter")); // PEFT format: loads with PeftModel.from_pretrained
    }
  }
}
