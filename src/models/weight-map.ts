/**
 * Parameter names: our module paths (camelCase, nn-style members) ↔ Hugging Face state-dict names.
 * Each rule maps a module prefix; '*' is a layer index; the parameter suffix (.weight/.bias) carries over.
 */
import type { ModelType } from './config.js';

type Rule = readonly [ours: string, hf: string];

const BERT_ENCODER: Rule[] = [
  ['embeddings.wordEmbeddings', 'embeddings.word_embeddings'],
  ['embeddings.positionEmbeddings', 'embeddings.position_embeddings'],
  ['embeddings.tokenTypeEmbeddings', 'embeddings.token_type_embeddings'],
  ['embeddings.norm', 'embeddings.LayerNorm'],
  ['layers.*.attention.queryProj', 'encoder.layer.*.attention.self.query'],
  ['layers.*.attention.keyProj', 'encoder.layer.*.attention.self.key'],
  ['layers.*.attention.valueProj', 'encoder.layer.*.attention.self.value'],
  ['layers.*.attention.outProj', 'encoder.layer.*.attention.output.dense'],
  ['layers.*.ln1', 'encoder.layer.*.attention.output.LayerNorm'],
  ['layers.*.linear1', 'encoder.layer.*.intermediate.dense'],
  ['layers.*.linear2', 'encoder.layer.*.output.dense'],
  ['layers.*.ln2', 'encoder.layer.*.output.LayerNorm'],
  ['pooler.dense', 'pooler.dense'],
];

const MODERNBERT_ENCODER: Rule[] = [
  ['embeddings.tokenEmbeddings', 'embeddings.tok_embeddings'],
  ['embeddings.norm', 'embeddings.norm'],
  ['layers.*.attentionNorm', 'layers.*.attn_norm'],
  ['layers.*.attention.qkvProj', 'layers.*.attn.Wqkv'],
  ['layers.*.attention.outProj', 'layers.*.attn.Wo'],
  ['layers.*.mlpNorm', 'layers.*.mlp_norm'],
  ['layers.*.mlp.inputProj', 'layers.*.mlp.Wi'],
  ['layers.*.mlp.outputProj', 'layers.*.mlp.Wo'],
  ['finalNorm', 'final_norm'],
];

/** The member holding the encoder in a task model, and that encoder's prefix in HF checkpoints. */
export const ENCODER_MEMBER: Record<ModelType, string> = { bert: 'bert', modernbert: 'model' };

const HEAD_RULES: Record<ModelType, Rule[]> = {
  bert: [['classifier', 'classifier']],
  modernbert: [['head.dense', 'head.dense'], ['head.norm', 'head.norm'], ['classifier', 'classifier']],
};

export type Task = 'base' | 'sequence-classification';

function rulesFor(modelType: ModelType, task: Task): Rule[] {
  const encoder = modelType === 'bert' ? BERT_ENCODER : MODERNBERT_ENCODER;
  if (task === 'base') return encoder;
  const member = ENCODER_MEMBER[modelType];
  return [...encoder.map(([o, h]) => [`${member}.${o}`, `${member}.${h}`] as const), ...HEAD_RULES[modelType]];
}

const compiled = new Map<string, { from: RegExp; to: string }[]>();

function translator(modelType: ModelType, task: Task, direction: 'toHf' | 'fromHf') {
  const key = `${modelType}/${task}/${direction}`;
  let list = compiled.get(key);
  if (!list) {
    list = rulesFor(modelType, task).map(([ours, hf]) => {
      const [src, dst] = direction === 'toHf' ? [ours, hf] : [hf, ours];
      const pattern = src.replace(/\./g, '\\.').replace('*', '(\\d+)');
      return { from: new RegExp(`^${pattern}\\.(.+)$`), to: dst };
    });
    compiled.set(key, list);
  }
  return list;
}

function translate(name: string, modelType: ModelType, task: Task, direction: 'toHf' | 'fromHf'): string | undefined {
  for (const { from, to } of translator(modelType, task, direction)) {
    const m = from.exec(name);
    if (!m) continue;
    const [layer, rest] = m.length === 3 ? [m[1], m[2]] : [undefined, m[1]];
    return `${layer === undefined ? to : to.replace('*', layer)}.${rest}`;
  }
  return undefined;
}

/** Our dotted parameter path → its Hugging Face name (undefined if the path is not one of ours). */
export function toHfName(path: string, modelType: ModelType, task: Task): string | undefined {
  return translate(path, modelType, task, 'toHf');
}

/** A Hugging Face parameter name → our dotted path (undefined for names we do not use). */
export function fromHfName(name: string, modelType: ModelType, task: Task): string | undefined {
  return translate(name, modelType, task, 'fromHf');
}
