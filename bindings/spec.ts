/**
 * The one declaration of the native surface. `bindings/generate.ts` turns it into
 *   native/generated/types.h          plain C++ structs (no Node dependency; model/ and train/ use them)
 *   native/generated/error_codes.h    the error-code enum and its names (lib/native/error-codes.ts too)
 *   native/addon/generated/records.h  N-API readers/writers of the records
 *   native/addon/generated/glue.{h,cpp} a CRTP base per class that parses arguments, lets the call
 *                                       through the object's job gate (addon/gated_object.h) as its
 *                                       `access` says, and calls the hand-written method with structs
 *   lib/native/raw.ts                  the raw TypeScript types of the addon (internal, never exported)
 * TypeScript validates and fills every field before a call, so native records have no optional
 * fields: the glue only re-checks types (and throws E_INVALID_OPTION naming the field).
 */

/** Field types: scalars, typed arrays (copied in and out, never aliased), lists, records. */
export type FieldType =
  'int' | 'float' | 'bool' | 'string' | 'Int32Array' | 'Float32Array' | 'Float64Array' | 'Uint8Array' | 'int[]' | { record: string } | { list: string };

export interface Field {
  type: FieldType;
  doc: string;
}
export interface RecordSpec {
  doc: string;
  fields: Record<string, Field>;
}
export interface MethodSpec {
  doc: string;
  /**
   * `{ callback: R }`: a JS function the native side calls with record R (on the JS thread).
   * `{ object: C }` (class methods, at most one per method): another native object of class C, checked
   * by its type tag; it counts as a shared call of that object until the job settles.
   * `{ objects: C }` (instead of an `object`): an array of distinct objects of class C, each counting as
   * an exclusive call of its object until the job settles.
   */
  args: Array<{ name: string; type: FieldType | { callback: string } | { object: string } | { objects: string } }>;
  returns: FieldType | 'void';
  /** true: returns a Promise (work runs off the JS thread). */
  async: boolean;
}
/**
 * Which calls of one object may overlap (native/addon/gated_object.h): `shared` alongside other
 * shared ones; `exclusive` alone (nothing in flight before, nothing admitted meanwhile); `any`
 * always, even after dispose; `dispose` idempotent, refused while anything is in flight.
 * An async method's hand-written body returns the work (Job<R>) and the gate runs it on the pool;
 * `thread` methods start their own thread and call `release` when it ends.
 */
export type Access = 'shared' | 'exclusive' | 'any' | 'dispose';
export interface ClassMethodSpec extends MethodSpec {
  access: Access;
  thread?: boolean;
}
/** `header`: the hand-written class (native/addon/), which the generated unwrap of `{ object }` arguments includes. */
export interface ClassSpec {
  doc: string;
  ctor: string;
  header: string;
  methods: Record<string, ClassMethodSpec>;
}

/** Stable error codes, in this order (add at the end; never rename); `native` is the C++ enumerator. */
export const errorCodes: Array<{ code: string; native?: string; doc: string }> = [
  { code: 'E_INVALID_OPTION', native: 'InvalidOption', doc: 'an option or argument has the wrong type, range or combination' },
  { code: 'E_INVALID_DATA', native: 'InvalidData', doc: 'a data file or array is malformed (names file, line and field)' },
  { code: 'E_OOM', native: 'Oom', doc: 'the device ran out of memory' },
  { code: 'E_NONFINITE', native: 'NonFinite', doc: 'the loss or a gradient became NaN/Inf; the step was not applied' },
  { code: 'E_DISPOSED', native: 'Disposed', doc: 'the object was used after dispose()' },
  { code: 'E_BUSY', native: 'Busy', doc: 'the call would overlap one it may not (a fit, a load, a dispose)' },
  { code: 'E_ABORTED', native: 'Aborted', doc: 'the work was cancelled through an AbortSignal' },
  { code: 'E_NATIVE_LOAD', doc: 'the native addon (or LibTorch) could not be loaded' },
  { code: 'E_CHECKPOINT', native: 'Checkpoint', doc: 'a checkpoint file is missing, truncated or does not match the model' },
  { code: 'E_NATIVE', native: 'Native', doc: 'any other failure inside LibTorch' },
  { code: 'E_MISSING_DEPENDENCY', doc: 'an optional package (e.g. hyparquet for Parquet) or tool is not installed' },
  {
    code: 'E_DISTRIBUTED',
    native: 'Distributed',
    doc: 'distributed training failed: the master unreachable, another rank stopped or stalled past the timeout, or no Gloo in this build',
  },
];

const int = (doc: string): Field => ({ type: 'int', doc });
const float = (doc: string): Field => ({ type: 'float', doc });
const bool = (doc: string): Field => ({ type: 'bool', doc });
const lora = (doc: string): Field => ({ type: { record: 'LoraSettings' }, doc });
const str = (doc: string): Field => ({ type: 'string', doc });

export const records: Record<string, RecordSpec> = {
  ModelConfig: {
    doc: 'Architecture and placement of a transformer recommender.',
    fields: {
      numItems: int('catalogue size V; items are 1..V'),
      dim: int('model width d'),
      layers: int('transformer blocks'),
      heads: int('attention heads'),
      maxLen: int('longest input sequence L'),
      ffnDim: int('feed-forward width (0 = 4·dim)'),
      dropout: float('dropout on embeddings, residuals and feed-forward'),
      attnDropout: float('dropout on attention probabilities'),
      causal: bool('causal (SASRec) or bidirectional (BERT4Rec)'),
      useSdpa: bool('use scaled_dot_product_attention where LibTorch has it'),
      device: str('"cpu", "cuda" or "cuda:N"'),
      seed: int('seed of initialisation, batches and dropout'),
      threads: int('CPU threads for LibTorch ops of this model (0 = leave as is)'),
      textDim: int('width T of item text vectors; 0 = id embeddings only, else row = id embedding (once trained on) + learned projection of the text'),
      startPositions: bool(
        'causal only: positions count from the oldest event in the window (0, 1, …) instead of ending at L−1 with the newest, so earlier events keep their keys and values as events arrive',
      ),
      pointwise: str('pointwise head beside next-item prediction (model/task_heads.h): "" none, "rating" (squared error) or "like" (binary CE)'),
      attributes: int('G, the item attributes (genres) an attribute head predicts; 0 = none'),
    },
  },
  ItemRows: {
    doc: 'Rows of the item id-embedding table (what a text mapping or a cold-start fill writes).',
    fields: {
      items: { type: 'Int32Array', doc: '(n) item ids, each in 1..V' },
      rows: { type: 'Float32Array', doc: '(n·d) their new rows, row-major' },
    },
  },
  ItemText: {
    doc: 'The fixed text vector of every item, for a model created with textDim > 0.',
    fields: {
      dim: int("width T (must equal the model's textDim)"),
      data: { type: 'Float32Array', doc: '((V+1)·T) row-major; row 0 (padding) is ignored' },
    },
  },
  FitRequest: {
    doc: 'One training run over CSR interactions (copied once; batches are sampled natively).',
    fields: {
      offsets: { type: 'Int32Array', doc: '(U+1) CSR offsets into items' },
      items: { type: 'Int32Array', doc: '(E) item ids 1..V, each user in time order' },
      epochs: int('passes over the users (ignored when maxSteps > 0)'),
      maxSteps: int('optimizer steps of the run (0 = from epochs)'),
      batchSize: int('sequences per micro-batch'),
      accumSteps: int('micro-batches per optimizer step'),
      lr: float('peak learning rate'),
      warmupSteps: int('linear warmup steps'),
      decay: str('"constant", "linear" or "cosine" after warmup'),
      minLrRatio: float('final lr as a fraction of the peak'),
      weightDecay: float('decoupled weight decay of matrices and embeddings'),
      beta1: float('AdamW β1'),
      beta2: float('AdamW β2'),
      eps: float('AdamW ε'),
      foreachAdamW: bool('multi-tensor AdamW update (always on for CUDA)'),
      clipNorm: float('global gradient-norm clip (0 = off)'),
      lossChunkBytes: int('memory budget of one fused-loss chunk'),
      maskProb: float('BERT4Rec masking probability'),
      progressEvery: int('report progress every this many steps'),
      resume: bool("continue the model's current run (optimizer state and step) instead of starting one"),
      untilEpoch: int('pause the run (resumable) once this many epochs are done (0 = run to the end)'),
      adapter: str('train only this LoRA adapter (its lora_A/lora_B), the whole base frozen; "" = train the base'),
      freezeEmbeddings: bool('base training: keep the item and position tables frozen'),
      freezeBlocks: int('base training: keep the first this many transformer blocks frozen'),
      biasAndNormOnly: bool('base training: train only biases and LayerNorm parameters'),
      idDropout: float('text models: share of items whose id embedding is dropped per step, so the text part learns to stand alone'),
      profile: bool("time each step's phases (StepProfile); on CUDA the device is synchronised after each phase"),
      groupOfUser: { type: 'Uint8Array', doc: "(U) fairness-aware training: each user's group, 0 or 1 (255 = neither); empty = off" },
      groupGapWeight: float("λ of the penalty on the gap between the two groups' mean cross-entropy (train/group_gap.h)"),
      loss: str('"ce" (full softmax, fused), "bce", "gbce" or "sampled-softmax" (train/sampled_loss.h)'),
      negatives: int('bce / gbce: negatives per target; sampled-softmax: shared negatives per batch'),
      gbceT: float('gbce calibration t in [0, 1]'),
      contrastiveWeight: float('λ of the CL4SRec InfoNCE auxiliary loss (train/contrastive.h); 0 = off'),
      contrastiveTemperature: float('τ of InfoNCE'),
      contrastiveCrop: float('η: share of the events a crop keeps (0 = no crop augmentation)'),
      contrastiveMask: float('γ: probability of masking each event (0 = no mask augmentation)'),
      contrastiveReorder: float('β: share of the events a reorder shuffles (0 = no reorder augmentation)'),
      ratings: { type: 'Float32Array', doc: '(E) the rating of each event in items, NaN = none; empty = no ratings (train/task_losses.h)' },
      nextItemWeight: float('weight of the next-item objective (0 = train the task heads alone)'),
      rank: int("distributed: this process's rank in [0, worldSize)"),
      worldSize: int('distributed: processes training together (1 = alone; train/data_parallel.h)'),
      masterAddr: str("distributed: the address of rank 0's store"),
      masterPort: int("distributed: the port of rank 0's store"),
      distributedTimeoutMs: int('distributed: how long a collective may wait for the other ranks'),
      naiveReduce: bool('distributed: one blocking all-reduce per parameter instead of buckets (for the benchmark)'),
      bucketBytes: int('distributed: gradient bucket size after the first (which is at most 1 MiB)'),
      itemRows: bool("distributed: send the item table's gradient as the rows it touched (all-gather) instead of dense"),
      pointwiseWeight: float("weight of the pointwise head's loss; 0 = off"),
      likeThreshold: float('"like" head: an event is liked when its rating is >= this'),
      attributeLabels: { type: 'Float32Array', doc: "((V+1)·G) each item's attribute labels in [0, 1], row 0 unused; empty = none" },
      attributeWeight: float("weight of the attribute head's loss; 0 = off"),
    },
  },
  FitProgress: {
    doc: 'A progress report from the training thread.',
    fields: {
      step: int('optimizer steps done in the run'),
      totalSteps: int('steps the run will take'),
      epoch: int('epochs completed'),
      loss: float('mean cross-entropy of the last step'),
      contrastiveLoss: float('InfoNCE of the last step (contrastive training; else 0)'),
      pointwiseLoss: float("the pointwise head's loss of the last step (squared error or binary CE; else 0)"),
      attributeLoss: float("the attribute head's binary CE of the last step (else 0)"),
      lr: float('learning rate of the last step'),
      gradNorm: float('global gradient norm before clipping'),
      sequencesPerSec: float('training throughput since the last report'),
      elapsedSec: float('seconds since this fit call started'),
    },
  },
  TrainableTensor: {
    doc: 'One tensor the optimizer updates.',
    fields: {
      name: str('"blocks.0.ffnIn.weight", or "<module>.lora_A.<adapter>.weight" for an adapter'),
      parameters: int('scalars in the tensor'),
      decay: bool('in the weight-decay group'),
    },
  },
  StepProfile: {
    doc: 'Where the steps of a fit call spent their wall time, summed over its steps (filled when FitRequest.profile).',
    fields: {
      sampleSec: float('batches sampled (C++) and copied to the device, dropout re-seeded'),
      forwardSec: float('item table and transformer forward (text tower too, end to end)'),
      lossSec: float('fused cross-entropy: logits chunks, softmax and both its gradients (computed in its forward)'),
      backwardSec: float('autograd backward through the transformer and the item table'),
      optimizerSec: float('gradient clipping and the AdamW update'),
    },
  },
  FitResult: {
    doc: 'Outcome of a fit call.',
    fields: {
      steps: int('optimizer steps done in the run (this call and any before it)'),
      totalSteps: int('steps the run takes'),
      aborted: bool('stopped early by abortFit()'),
      paused: bool('stopped at untilEpoch with steps left; fit with resume continues the run'),
      losses: { type: 'Float32Array', doc: 'loss of each step of this call' },
      elapsedSec: float('wall time of this call'),
      sequencesPerSec: float('mean training throughput of this call'),
      decayParameters: int('parameters with weight decay'),
      noDecayParameters: int('parameters without weight decay (biases, LayerNorm)'),
      decayTensors: int('tensors with weight decay'),
      noDecayTensors: int('tensors without weight decay'),
      frozenParameters: int('base parameters left out of training (frozen, or the whole base when training an adapter)'),
      frozenTensors: int('base tensors left out of training'),
      trainable: { type: { list: 'TrainableTensor' }, doc: "the optimizer's parameter list, in group order" },
      profile: { type: { record: 'StepProfile' }, doc: 'phase times of this call (zero unless FitRequest.profile)' },
    },
  },
  RankRequest: {
    doc: "Ranks of held-out targets given each user's history: over all items, or over sampled candidates.",
    fields: {
      offsets: { type: 'Int32Array', doc: '(n+1) CSR offsets of the histories' },
      items: { type: 'Int32Array', doc: 'history items (model input and excluded from ranking)' },
      targets: { type: 'Int32Array', doc: '(n) held-out item per user' },
      batchSize: int('users scored at once'),
      numCandidates: int('C > 0: rank each target among its C candidates only (legacy sampled protocol); 0: full ranking'),
      candidates: { type: 'Int32Array', doc: '(n·C) negative items per user, row-major; empty when numCandidates is 0' },
      adapter: str('LoRA adapter to score with; "" = the base model alone'),
    },
  },
  ListRequest: {
    doc: 'What a top-K list may hold and how it is scored: the same for every history of a request.',
    fields: {
      k: int('list length'),
      excludeSeen: bool('drop items already in the history'),
      allow: { type: 'Int32Array', doc: 'the only items that may be returned, for every history; empty = any item' },
      deny: { type: 'Int32Array', doc: 'items never returned, for every history' },
      query: {
        type: 'Float32Array',
        doc: "(T) a text vector (the item text encoder's) steering every list: hidden += queryWeight · |hidden| · unit(textProjection(query)); empty = none",
      },
      queryWeight: float('how much the query counts against the history (1 = as much)'),
      adapter: str('LoRA adapter to score with; "" = the base model alone'),
      scoring: str(
        '"fp32": exact scores; "bf16" or "int8": candidates from a reduced-precision copy of the item table (4k, at least k + 64), then ranked by their exact fp32 scores',
      ),
      compute: str('"fp32", or "bf16": the transformer forward under bf16 autocast (AMX kernels on CPUs that have them); not for sessions'),
    },
  },
  TopKRequest: {
    doc: 'Top-K recommendations for each history.',
    fields: {
      offsets: { type: 'Int32Array', doc: '(n+1) CSR offsets of the histories' },
      items: { type: 'Int32Array', doc: 'history items' },
      batchSize: int('users scored at once'),
      list: { type: { record: 'ListRequest' }, doc: 'what the lists may hold' },
    },
  },
  SessionConfig: {
    doc: 'A live session: the events so far (checked against the model at its first use).',
    fields: {
      history: { type: 'Int32Array', doc: 'item ids, oldest first' },
    },
  },
  SessionsRequest: {
    doc: 'Append events to each of several sessions, then list the top K of each (one list request for all).',
    fields: {
      offsets: { type: 'Int32Array', doc: '(n+1) CSR offsets into `append`, one range per session' },
      append: { type: 'Int32Array', doc: "each session's new events, oldest first (a range may be empty)" },
      list: { type: { record: 'ListRequest' }, doc: 'what the lists may hold' },
    },
  },
  SessionInfo: {
    doc: 'What a session holds.',
    fields: {
      events: int('events appended so far (the initial history included)'),
      cachedPositions: int('positions whose keys and values are cached (0 for models that recompute: end-anchored or bidirectional)'),
      cacheBytes: int('bytes of the cached keys and values'),
    },
  },
  HiddenRequest: {
    doc: 'User states: the vector each history ends in, which scores item j by its dot product with item row j.',
    fields: {
      offsets: { type: 'Int32Array', doc: '(n+1) CSR offsets of the histories' },
      items: { type: 'Int32Array', doc: 'history items' },
      batchSize: int('users at once'),
      adapter: str('LoRA adapter; "" = the base model alone'),
    },
  },
  ScoreRequest: {
    doc: 'Scores of chosen items for each history (the same score topK ranks by).',
    fields: {
      offsets: { type: 'Int32Array', doc: '(n+1) CSR offsets of the histories' },
      items: { type: 'Int32Array', doc: 'history items' },
      candidates: { type: 'Int32Array', doc: '(n·c) items to score, c per history, row-major' },
      batchSize: int('users scored at once'),
      adapter: str('LoRA adapter to score with; "" = the base model alone'),
    },
  },
  TopKResult: {
    doc: 'n lists of k items, row-major; item 0 marks an empty slot.',
    fields: {
      k: int('list length actually returned'),
      items: { type: 'Int32Array', doc: '(n·k) item ids' },
      scores: { type: 'Float32Array', doc: '(n·k) scores' },
    },
  },
  TensorEntry: {
    doc: 'One named tensor as raw little-endian bytes (safetensors dtype names).',
    fields: {
      name: str('state name'),
      dtype: str('"F32", "BF16", "I64", …'),
      shape: { type: 'int[]', doc: 'dimensions' },
      data: { type: 'Uint8Array', doc: 'bytes (a copy)' },
    },
  },
  ModelState: {
    doc: 'Everything a checkpoint holds besides the config.',
    fields: {
      tensors: { type: { list: 'TensorEntry' }, doc: 'parameters and optimizer moments' },
      hasOptimizer: bool('optimizer moments are included'),
      trainStep: int('steps done in the current run'),
    },
  },
  LoraSettings: {
    doc: "What defines a LoRA adapter besides its factors (PEFT's r, lora_alpha, lora_dropout, use_rslora).",
    fields: {
      r: int('rank'),
      alpha: float('scale numerator (lora_alpha)'),
      dropout: float('dropout on the adapter input while training'),
      rslora: bool('scale alpha/√r instead of alpha/r'),
      dora: bool("DoRA: learned row magnitudes (PEFT's use_dora)"),
      bottleneck: bool('a bottleneck adapter on the layer output (Houlsby) instead of a low-rank update (model/lora.h)'),
      prefix: bool('prefix tuning: r learned key/value positions in the attention of each block whose key layer it targets (model/lora.h)'),
    },
  },
  LinearModule: {
    doc: 'A linear layer LoRA can target.',
    fields: {
      name: str('qualified module name, e.g. "blocks.0.attention.query", "blocks.1.ffnIn"'),
      inFeatures: int('input width (columns of lora_A)'),
      outFeatures: int('output width (rows of lora_B)'),
    },
  },
  AddAdapterRequest: {
    doc: 'A new LoRA adapter: A Kaiming-uniform, B zero, on the given layers.',
    fields: {
      name: str('adapter name'),
      lora: lora('its rank, scale and dropout'),
      modules: { type: { list: 'LinearModule' }, doc: 'target layers, as linearModules() lists them' },
    },
  },
  AdapterInfo: {
    doc: 'An adapter as the model holds it.',
    fields: {
      name: str('adapter name'),
      lora: lora('its rank, scale and dropout'),
      scale: float('s applied to B·A'),
      modules: { type: { list: 'LinearModule' }, doc: 'adapted layers, in module order' },
      parameters: int('scalars in all lora_A and lora_B tensors'),
    },
  },
  AdapterState: {
    doc: "An adapter's factors and settings, for files in the PEFT layout (written and read in TypeScript).",
    fields: {
      name: str('adapter name'),
      lora: lora('its rank, scale and dropout'),
      baseHash: str('export: sha256 of the base; import: the base it must be loaded onto ("" = do not check)'),
      tensors: {
        type: { list: 'TensorEntry' },
        doc: '"<module>.lora_A" (r, in) and "<module>.lora_B" (out, r) per adapted layer, and "<module>.lora_magnitude" (out) with DoRA',
      },
    },
  },
  TextEncoderConfig: {
    doc: 'Architecture and placement of a BERT text encoder (numbers from a Hugging Face config.json).',
    fields: {
      vocabSize: int('word-piece vocabulary V'),
      hiddenSize: int('width H'),
      layers: int('transformer blocks'),
      heads: int('attention heads'),
      intermediateSize: int('feed-forward width'),
      maxPositions: int('rows of the position table'),
      typeVocabSize: int('rows of the segment table'),
      layerNormEps: float('LayerNorm epsilon'),
      activation: str('"gelu" (erf), "gelu_tanh" or "relu"'),
      device: str('"cpu", "cuda" or "cuda:N"'),
      threads: int('CPU threads for LibTorch ops (0 = leave as is)'),
    },
  },
  EncodeRequest: {
    doc: 'A batch of tokenized texts, right-padded, to encode and pool.',
    fields: {
      ids: { type: 'Int32Array', doc: '(n·T) token ids, row-major' },
      attentionMask: { type: 'Int32Array', doc: '(n·T) 1 for real tokens, 0 for padding' },
      length: int('T, tokens per row'),
      pooling: str('"mean" over real tokens or "cls" (position 0)'),
      normalize: bool('L2-normalise each pooled vector'),
      batchSize: int('texts run through the encoder at once'),
    },
  },
  TextTuneRequest: {
    doc: 'End-to-end text: the loaded BERT encoder with a LoRA adapter of its own, whose pooled output is the item text while the model trains.',
    fields: {
      ids: { type: 'Int32Array', doc: "((V+1)·T) token ids of every item's text, row-major, right-padded; row 0 unused" },
      attentionMask: { type: 'Int32Array', doc: '((V+1)·T) 1 for real tokens, 0 for padding' },
      length: int('T, tokens per item'),
      pooling: str('"mean" or "cls"'),
      normalize: bool('L2-normalise each pooled vector'),
      lora: lora("the encoder adapter's rank, scale and dropout"),
      modules: { type: { list: 'LinearModule' }, doc: 'encoder layers to adapt ("blocks.0.attention.query", …)' },
      itemsPerStep: int('items re-encoded with gradients per step, the rest read from the last encoding (0 = all)'),
      encodeBatch: int('items per forward when re-encoding all of them without gradients'),
    },
  },
  ModelInfo: {
    doc: 'Static facts about a model.',
    fields: {
      parameters: int('parameter count'),
      device: str('device the model lives on'),
      sdpa: bool('attention uses scaled_dot_product_attention'),
      trainStep: int('steps done in the current run'),
      parameterBytes: int('bytes of the parameters and buffers (item text) on the device'),
      optimizerBytes: int('bytes of the optimizer moments the run keeps (0 without a run, e.g. loaded for inference)'),
    },
  },
  Versions: {
    doc: 'What the addon was built against and runs on.',
    fields: {
      seqrec: str('addon version'),
      torch: str('LibTorch version'),
      cuda: bool('a CUDA device is usable'),
      cudaDevices: int('number of CUDA devices'),
      deviceName: str('name of CUDA device 0, or "cpu"'),
      threads: int('LibTorch intra-op threads'),
      napi: int('Node-API version of the running Node'),
      sdpa: bool('LibTorch has scaled_dot_product_attention'),
      distributed: bool("fit's distributed option works: built with Gloo's headers (train/data_parallel.h)"),
    },
  },
  ParityCeRequest: {
    doc: 'Check: fused chunked CE vs LibTorch autograd on unfused logits (and finite differences).',
    fields: {
      batch: int('sequences'),
      length: int('positions'),
      dim: int('width'),
      items: int('catalogue V'),
      seed: int('seed'),
      budgetBytes: int('chunk budget'),
      padShare: float('share of positions without a target'),
      float64: bool('run in float64 (for finite differences)'),
      probes: int('finite-difference coordinates'),
      groupGapWeight: float('> 0: check GroupGapLoss instead (sequence b in group b % 2, every third in neither) against autograd of mean + λ·|gap|'),
    },
  },
  ParityCeResult: {
    doc: 'Both sides of the CE check.',
    fields: {
      fusedLoss: float('fused loss'),
      referenceLoss: float('autograd loss'),
      chunkRows: int('rows per chunk'),
      fusedGradHidden: { type: 'Float64Array', doc: 'dL/dhidden, fused' },
      referenceGradHidden: { type: 'Float64Array', doc: 'dL/dhidden, autograd' },
      fusedGradWeight: { type: 'Float64Array', doc: 'dL/dweight, fused' },
      referenceGradWeight: { type: 'Float64Array', doc: 'dL/dweight, autograd' },
      probeAnalytic: { type: 'Float64Array', doc: 'fused gradient at probed coordinates' },
      probeNumeric: { type: 'Float64Array', doc: 'central differences at the same coordinates' },
    },
  },
  ParitySampledLossRequest: {
    doc: 'Check: SampledLoss (autograd) against the formula written out in double loops over the same negatives, and its central differences.',
    fields: {
      batch: int('sequences'),
      length: int('positions'),
      dim: int('width'),
      items: int('catalogue V'),
      seed: int('seed'),
      loss: str('"bce", "gbce" or "sampled-softmax"'),
      negatives: int('k or |S|'),
      gbceT: float('gbce t'),
      probes: int('finite-difference coordinates'),
    },
  },
  ParityContrastiveRequest: {
    doc: 'Check: CL4SRec views of random sequences, and InfoNCE (autograd) against the formula in double loops and its central differences.',
    fields: {
      batch: int('sequences'),
      length: int('positions L'),
      dim: int('width of the final states'),
      items: int('catalogue V'),
      seed: int('seed'),
      causal: bool('causal model (masked events left out) or bidirectional ([mask] = V + 1)'),
      crop: float('η'),
      mask: float('γ'),
      reorder: float('β'),
      temperature: float('τ'),
      probes: int('finite-difference coordinates'),
    },
  },
  ParityContrastiveResult: {
    doc: 'Both sides of the contrastive check, and the batch with its views.',
    fields: {
      inputs: { type: 'Int32Array', doc: '(B·L) the batch inputs, left-padded (bidirectional: with [mask] tokens)' },
      targets: { type: 'Int32Array', doc: '(B·L) the batch targets' },
      first: { type: 'Int32Array', doc: '(B·L) the first views' },
      second: { type: 'Int32Array', doc: '(B·L) the second views' },
      loss: float('infoNce value'),
      referenceLoss: float('the formula in loops'),
      probeAnalytic: { type: 'Float64Array', doc: 'autograd gradient at probed coordinates of the two views' },
      probeNumeric: { type: 'Float64Array', doc: "central differences of the loops' loss at the same coordinates" },
    },
  },
  ParitySampledLossResult: {
    doc: 'Both sides of the sampled-loss check.',
    fields: {
      loss: float('SampledLoss value'),
      referenceLoss: float('the formula in loops'),
      probeAnalytic: { type: 'Float64Array', doc: 'autograd gradient at probed coordinates of hidden and the table' },
      probeNumeric: { type: 'Float64Array', doc: "central differences of the loops' loss at the same coordinates" },
    },
  },
  ParityAdamWRequest: {
    doc: 'Check: this AdamW vs torch::optim::AdamW over a run with warmup+cosine lr and two groups.',
    fields: { steps: int('steps'), seed: int('seed'), foreach: bool('use the multi-tensor update'), clipNorm: float('clip (0 = off)') },
  },
  ParityAdamWResult: {
    doc: 'Largest parameter difference after each step.',
    fields: {
      maxAbsDiffPerStep: { type: 'Float64Array', doc: 'max |ours − torch| over all parameters, per step' },
      ours: { type: 'Float32Array', doc: 'final parameters, flattened' },
      reference: { type: 'Float32Array', doc: 'final torch parameters, flattened' },
    },
  },
  ParityAttentionRequest: {
    doc: 'Check: the model with SDPA vs explicit attention, same weights and input.',
    fields: { batch: int('sequences'), length: int('positions'), dim: int('width'), heads: int('heads'), causal: bool('mode'), seed: int('seed') },
  },
  ParityAttentionResult: {
    doc: 'Encoder outputs and input gradients of both paths.',
    fields: {
      sdpaUsed: bool('this LibTorch has SDPA'),
      sdpa: { type: 'Float32Array', doc: 'hidden (B, L, d) with SDPA' },
      explicitPath: { type: 'Float32Array', doc: 'hidden (B, L, d), explicit attention' },
      sdpaGrad: { type: 'Float32Array', doc: 'item-embedding gradient with SDPA' },
      explicitGrad: { type: 'Float32Array', doc: 'item-embedding gradient, explicit attention' },
      sdpaLast: { type: 'Float32Array', doc: 'hidden (B, d) of the last position alone (lastOnly, as inference runs), SDPA' },
      explicitLast: { type: 'Float32Array', doc: 'the same, explicit attention' },
    },
  },
  ParityVectorKernelsRequest: {
    doc: 'Check: each form of the vector kernels this CPU runs (common/vector_kernels.h) on random data, against float64 or plain loops.',
    fields: { rows: int('rows n (and inputs of the linear)'), dim: int('row width d'), outputs: int('outputs of the linear'), seed: int('seed') },
  },
  ParityVectorKernelsResult: {
    doc: "Each form's outputs one after another, in the order of `forms`, and the float64 references.",
    fields: {
      forms: str('the forms checked, comma-separated, the one in use first'),
      rowDots: { type: 'Float32Array', doc: 'rowDots (forms × n)' },
      rowDotsReference: { type: 'Float64Array', doc: 'Σ_j rows_ij · h_j (n)' },
      linearRows: { type: 'Float32Array', doc: 'linearRows (forms × outputs)' },
      linearReference: { type: 'Float64Array', doc: 'bias + Σ_i x_i · wT_i (outputs)' },
      linearBatch: { type: 'Float32Array', doc: 'linearBatch over 5 input rows (forms × 5 × outputs)' },
      linearBatchAlone: { type: 'Float32Array', doc: 'linearRows of each of those rows alone (forms × 5 × outputs)' },
      linearBatchReference: { type: 'Float64Array', doc: 'the float64 value of each (5 × outputs)' },
      panelScores: { type: 'Float32Array', doc: 'panelScores of 5 users over ⌈outputs/64⌉ panels of width dim (forms × 5 × 64P)' },
      panelReference: { type: 'Float64Array', doc: 'the float64 value of each (5 × 64P)' },
      softmax: { type: 'Float32Array', doc: 'softmax of the n row dots times 0.7 (forms × n)' },
      softmaxReference: { type: 'Float64Array', doc: 'the float64 value (n)' },
      gelu: { type: 'Float32Array', doc: 'gelu of the rows (forms × n · dim, the values times 3: ±12 and beyond)' },
      geluReference: { type: 'Float64Array', doc: 'x/2 · (1 + erf(x/√2)) in float64 of those values (n · dim)' },
      above: { type: 'Int32Array', doc: "each form's firstAbove chains over the rows' values for four bars, each chain ended by −1 (forms × …)" },
      aboveReference: { type: 'Int32Array', doc: 'the same chains from a plain loop' },
    },
  },
  ParityDropoutRequest: {
    doc: 'Check: the CPU dropout mask (model/dropout.h) of n elements, drawn from a generator seeded `seed`, on `threads` threads.',
    fields: {
      numel: int('elements'),
      p: float('drop probability'),
      seed: int('generator seed'),
      threads: int('intra-op threads'),
    },
  },
  ParityLoraRequest: {
    doc: 'Check: LoraLinear vs the explicit x·(W + s·B·A)ᵀ + b under autograd, and merge/unmerge.',
    fields: {
      batch: int('sequences'),
      length: int('positions'),
      inFeatures: int('input width'),
      outFeatures: int('output width'),
      lora: lora('the adapter (eval ignores its dropout)'),
      seed: int('seed'),
      float64: bool('run in float64'),
    },
  },
  ParityLoraResult: {
    doc: 'Both sides of the LoRA check, flattened.',
    fields: {
      y: { type: 'Float64Array', doc: 'LoraLinear output (B, L, out)' },
      yRef: { type: 'Float64Array', doc: 'explicit-form output' },
      gradX: { type: 'Float64Array', doc: 'dL/dx, ours' },
      gradXRef: { type: 'Float64Array', doc: 'dL/dx, reference' },
      gradW: { type: 'Float64Array', doc: 'dL/dW, ours' },
      gradWRef: { type: 'Float64Array', doc: 'dL/dW, reference' },
      gradBias: { type: 'Float64Array', doc: 'dL/db, ours' },
      gradBiasRef: { type: 'Float64Array', doc: 'dL/db, reference' },
      gradA: { type: 'Float64Array', doc: 'dL/dA (r, in), ours' },
      gradARef: { type: 'Float64Array', doc: 'dL/dA, reference' },
      gradB: { type: 'Float64Array', doc: 'dL/dB (out, r), ours' },
      gradBRef: { type: 'Float64Array', doc: 'dL/dB, reference' },
      gradMagnitude: { type: 'Float64Array', doc: 'dL/dm (out), ours (DoRA; empty otherwise)' },
      gradMagnitudeRef: { type: 'Float64Array', doc: 'dL/dm, reference' },
      yMerged: { type: 'Float64Array', doc: 'output with the adapter merged into W' },
      yMergedBase: { type: 'Float64Array', doc: 'base-only output while merged (equals yMerged)' },
      yAfterUnmerge: { type: 'Float64Array', doc: 'adapter-path output after unmerge' },
      unmergeExact: bool('W after merge + unmerge is bit-identical to W before'),
    },
  },
};

export const classes: Record<string, ClassSpec> = {
  NativeModel: {
    doc: 'A transformer recommender living in native memory (CPU or CUDA).',
    ctor: 'ModelConfig',
    header: 'addon/model_wrap.h',
    methods: {
      fit: {
        doc: 'Train on a dedicated native thread; progress arrives through onProgress on the JS thread.',
        args: [
          { name: 'request', type: { record: 'FitRequest' } },
          { name: 'onProgress', type: { callback: 'FitProgress' } },
        ],
        returns: { record: 'FitResult' },
        async: true,
        access: 'exclusive',
        thread: true,
      },
      abortFit: { doc: 'Ask a running fit to stop before its next step.', args: [], returns: 'bool', async: false, access: 'any' },
      rank: {
        doc: 'Full-ranking ranks of targets.',
        args: [{ name: 'request', type: { record: 'RankRequest' } }],
        returns: 'Int32Array',
        async: true,
        access: 'shared',
      },
      scoreItems: {
        doc: 'Scores (n·c) of the candidates of each history.',
        args: [{ name: 'request', type: { record: 'ScoreRequest' } }],
        returns: 'Float32Array',
        async: true,
        access: 'shared',
      },
      pointwiseScores: {
        doc: "The pointwise head's prediction (n·c) for each history's c candidates: a rating, or a like probability.",
        args: [{ name: 'request', type: { record: 'ScoreRequest' } }],
        returns: 'Float32Array',
        async: true,
        access: 'shared',
      },
      attributeScores: {
        doc: "The attribute head's probabilities (n·G) of the attributes of each history's next item.",
        args: [{ name: 'request', type: { record: 'HiddenRequest' } }],
        returns: 'Float32Array',
        async: true,
        access: 'shared',
      },
      hidden: {
        doc: 'User states (n·d), row-major: what scoring multiplies with the item table.',
        args: [{ name: 'request', type: { record: 'HiddenRequest' } }],
        returns: 'Float32Array',
        async: true,
        access: 'shared',
      },
      scoreRows: {
        doc: 'Rows (n·d) of the table scores are dot products with (the item table with text folded in), for items (n) in 1..V.',
        args: [{ name: 'items', type: 'Int32Array' }],
        returns: 'Float32Array',
        async: true,
        access: 'shared',
      },
      topK: {
        doc: 'Top-K lists.',
        args: [{ name: 'request', type: { record: 'TopKRequest' } }],
        returns: { record: 'TopKResult' },
        async: true,
        access: 'shared',
      },
      recommendSessions: {
        doc: "NativeSession.recommend for several sessions in one job: each session's steps, then one scoring pass for all of them (each session is held as an exclusive call of its own).",
        args: [
          { name: 'sessions', type: { objects: 'NativeSession' } },
          { name: 'request', type: { record: 'SessionsRequest' } },
        ],
        returns: { record: 'TopKResult' },
        async: true,
        access: 'shared',
      },
      recommendSessionsNow: {
        doc: "recommendSessions on the calling thread when each session's new events are a few one-position steps on its valid cache over a small table (V·d ≤ 2^20, exact scoring) and the batch is small (at most 16 sessions and 16 new events: a fraction of a millisecond); returns k = 0, having changed nothing, otherwise.",
        args: [
          { name: 'sessions', type: { objects: 'NativeSession' } },
          { name: 'request', type: { record: 'SessionsRequest' } },
        ],
        returns: { record: 'TopKResult' },
        async: false,
        access: 'shared',
      },
      exportState: { doc: 'Copy parameters and optimizer state out.', args: [], returns: { record: 'ModelState' }, async: true, access: 'shared' },
      importState: {
        doc: 'Load parameters and optimizer state.',
        args: [{ name: 'state', type: { record: 'ModelState' } }],
        returns: 'void',
        async: true,
        access: 'exclusive',
      },
      info: { doc: 'Static facts.', args: [], returns: { record: 'ModelInfo' }, async: false, access: 'shared' },
      dispose: { doc: 'Free native memory now (idempotent; refused while training).', args: [], returns: 'void', async: false, access: 'dispose' },
      linearModules: {
        doc: "The layers LoRA can target (fixed for the model's life).",
        args: [],
        returns: { list: 'LinearModule' },
        async: false,
        access: 'shared',
      },
      addAdapter: {
        doc: 'Add a LoRA adapter (exclusive, like importState).',
        args: [{ name: 'request', type: { record: 'AddAdapterRequest' } }],
        returns: { record: 'AdapterInfo' },
        async: true,
        access: 'exclusive',
      },
      removeAdapter: {
        doc: 'Delete an adapter and its tensors (exclusive).',
        args: [{ name: 'name', type: 'string' }],
        returns: 'void',
        async: true,
        access: 'exclusive',
      },
      mergeAdapter: {
        doc: 'Fold an adapter into the base weights, W += s·B·A (exclusive).',
        args: [{ name: 'name', type: 'string' }],
        returns: 'void',
        async: true,
        access: 'exclusive',
      },
      unmergeAdapter: {
        doc: 'Restore the weights from before mergeAdapter, bit for bit (exclusive).',
        args: [{ name: 'name', type: 'string' }],
        returns: 'void',
        async: true,
        access: 'exclusive',
      },
      exportAdapter: {
        doc: "Copy an adapter's factors and the base hash out.",
        args: [{ name: 'name', type: 'string' }],
        returns: { record: 'AdapterState' },
        async: true,
        access: 'shared',
      },
      importAdapter: {
        doc: 'Create an adapter from saved factors, or overwrite one in place when replace is true (exclusive).',
        args: [
          { name: 'state', type: { record: 'AdapterState' } },
          { name: 'replace', type: 'bool' },
        ],
        returns: { record: 'AdapterInfo' },
        async: true,
        access: 'exclusive',
      },
      itemRows: {
        doc: 'Copy rows of the item id-embedding table out, (n·d) for items (n) in 1..V.',
        args: [{ name: 'items', type: 'Int32Array' }],
        returns: 'Float32Array',
        async: true,
        access: 'shared',
      },
      setItemRows: {
        doc: 'Overwrite rows of the item id-embedding table (exclusive); nothing else changes.',
        args: [{ name: 'rows', type: { record: 'ItemRows' } }],
        returns: 'void',
        async: true,
        access: 'exclusive',
      },
      transferFrom: {
        doc: "Copy from `base` (same architecture and sizes, another catalogue) every tensor that does not depend on the catalogue, and BERT4Rec's [mask] row (exclusive).",
        args: [{ name: 'base', type: { object: 'NativeModel' } }],
        returns: 'void',
        async: true,
        access: 'exclusive',
      },
      growItems: {
        doc: 'New items join the catalogue: V grows to `items` (more than V), new id rows drawn as at creation, no text; ends the training run (its moments have the old shape) (exclusive).',
        args: [{ name: 'items', type: 'int' }],
        returns: 'void',
        async: true,
        access: 'exclusive',
      },
      setItemText: {
        doc: 'Copy the item text vectors in (exclusive).',
        args: [{ name: 'text', type: { record: 'ItemText' } }],
        returns: 'void',
        async: true,
        access: 'exclusive',
      },
      baseHash: {
        doc: "sha256 over the base parameters' names, dtypes, shapes and bytes (merged adapters excluded).",
        args: [],
        returns: 'string',
        async: true,
        access: 'shared',
      },
      attachTextEncoder: {
        doc: 'Fit from now on reads item text from `encoder` (its frozen weights shared, not copied) with a LoRA adapter of its own, trained with the model (exclusive).',
        args: [
          { name: 'encoder', type: { object: 'NativeTextEncoder' } },
          { name: 'request', type: { record: 'TextTuneRequest' } },
        ],
        returns: 'void',
        async: true,
        access: 'exclusive',
      },
      textEncoderAdapter: {
        doc: "Copy the attached encoder's LoRA factors out.",
        args: [],
        returns: { record: 'AdapterState' },
        async: true,
        access: 'shared',
      },
      detachTextEncoder: {
        doc: 'Drop the attached encoder (and the optimizer that trained it); returns its LoRA factors (exclusive).',
        args: [],
        returns: { record: 'AdapterState' },
        async: true,
        access: 'exclusive',
      },
    },
  },
};

classes.NativeSession = {
  doc: "A user's live session: its events and, for start-anchored causal models, every block's keys and values for them (an append then costs one position).",
  ctor: 'SessionConfig',
  header: 'addon/session_wrap.h',
  methods: {
    history: { doc: 'The events so far, oldest first.', args: [], returns: 'Int32Array', async: false, access: 'shared' },
    info: { doc: 'What the session holds.', args: [], returns: { record: 'SessionInfo' }, async: false, access: 'shared' },
    dispose: { doc: 'Free the cached keys and values now (idempotent).', args: [], returns: 'void', async: false, access: 'dispose' },
  },
};

classes.NativeTextEncoder = {
  doc: 'A BERT text encoder in native memory; weights arrive with load().',
  ctor: 'TextEncoderConfig',
  header: 'addon/text_encoder_wrap.h',
  methods: {
    load: {
      doc: 'Build the encoder and copy in BertModel weights (canonical names, F32).',
      args: [{ name: 'tensors', type: { list: 'TensorEntry' } }],
      returns: 'void',
      async: true,
      access: 'exclusive',
    },
    encode: {
      doc: 'Pooled vectors (n·H) of tokenized texts.',
      args: [{ name: 'request', type: { record: 'EncodeRequest' } }],
      returns: 'Float32Array',
      async: true,
      access: 'shared',
    },
    setAdapter: {
      doc: 'Apply these LoRA factors in every encode from now on (module names as in TextTuneRequest).',
      args: [{ name: 'state', type: { record: 'AdapterState' } }],
      returns: 'void',
      async: true,
      access: 'exclusive',
    },
    dispose: { doc: 'Free native memory now (idempotent; refused while a call is in flight).', args: [], returns: 'void', async: false, access: 'dispose' },
  },
};

export const functions: Record<string, MethodSpec> = {
  versions: { doc: 'Build and runtime facts.', args: [], returns: { record: 'Versions' }, async: false },
  shortestDecimals: {
    doc: "Each float32 as the double nearest its shortest decimal that reads back as the same float32 (scores as JSON: '0.6140553', not '0.6140552759170532').",
    args: [{ name: 'values', type: 'Float32Array' }],
    returns: 'Float64Array',
    async: false,
  },
  stopJobs: {
    doc: 'Cancel every native job of this environment (fits, pool jobs) and wait until each has stopped touching LibTorch (one step or batch); their Promises never settle. For process.exit(), which runs no addon hook.',
    args: [],
    returns: 'void',
    async: false,
  },
  parityCrossEntropy: {
    doc: 'Internal numeric check.',
    args: [{ name: 'request', type: { record: 'ParityCeRequest' } }],
    returns: { record: 'ParityCeResult' },
    async: true,
  },
  paritySampledLoss: {
    doc: 'Internal numeric check.',
    args: [{ name: 'request', type: { record: 'ParitySampledLossRequest' } }],
    returns: { record: 'ParitySampledLossResult' },
    async: true,
  },
  parityContrastive: {
    doc: 'Internal numeric check.',
    args: [{ name: 'request', type: { record: 'ParityContrastiveRequest' } }],
    returns: { record: 'ParityContrastiveResult' },
    async: true,
  },
  parityAdamW: {
    doc: 'Internal numeric check.',
    args: [{ name: 'request', type: { record: 'ParityAdamWRequest' } }],
    returns: { record: 'ParityAdamWResult' },
    async: true,
  },
  parityAttention: {
    doc: 'Internal numeric check.',
    args: [{ name: 'request', type: { record: 'ParityAttentionRequest' } }],
    returns: { record: 'ParityAttentionResult' },
    async: true,
  },
  parityLora: {
    doc: 'Internal numeric check.',
    args: [{ name: 'request', type: { record: 'ParityLoraRequest' } }],
    returns: { record: 'ParityLoraResult' },
    async: true,
  },
  parityVectorKernels: {
    doc: 'Internal numeric check.',
    args: [{ name: 'request', type: { record: 'ParityVectorKernelsRequest' } }],
    returns: { record: 'ParityVectorKernelsResult' },
    async: true,
  },
  parityDropout: {
    doc: 'Internal statistical check: a dropout mask (0 or 1/(1-p) per element).',
    args: [{ name: 'request', type: { record: 'ParityDropoutRequest' } }],
    returns: 'Float32Array',
    async: true,
  },
};
