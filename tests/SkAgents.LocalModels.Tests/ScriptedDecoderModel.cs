using SkAgents.LocalModels.Generation;

namespace SkAgents.LocalModels.Tests;

/// <summary>
/// A decoder test double whose greedy output is scripted: each sequence spells the next script in the queue
/// (logits are one-hot on the scripted id). Records every prompt. ONNX-backed decoders are tested separately.
/// </summary>
internal sealed class ScriptedDecoderModel(int vocabularySize, int contextLength = 512) : IDecoderModel
{
    private readonly Queue<int[]> _scripts = new();

    public int VocabularySize { get; } = vocabularySize;

    public int ContextLength { get; } = contextLength;

    public List<int[]> Prompts { get; } = [];

    public int ActiveSequences;

    public int MaxActiveSequences;

    public TimeSpan StepDelay { get; set; }

    public bool Disposed { get; private set; }

    public ScriptedDecoderModel Then(params int[] script)
    {
        _scripts.Enqueue(script);
        return this;
    }

    public IDecoderSequence StartSequence(int maxLength)
    {
        lock (_scripts)
        {
            return new Sequence(this, _scripts.Dequeue(), Math.Min(maxLength, ContextLength));
        }
    }

    public void Dispose() => Disposed = true;

    private sealed class Sequence : IDecoderSequence
    {
        private readonly ScriptedDecoderModel _model;
        private readonly int[] _script;
        private readonly float[] _logits;
        private int _step;

        public Sequence(ScriptedDecoderModel model, int[] script, int maxLength)
        {
            _model = model;
            _script = script;
            _logits = new float[model.VocabularySize];
            MaxLength = maxLength;
            var active = Interlocked.Increment(ref model.ActiveSequences);
            lock (model._scripts)
            {
                model.MaxActiveSequences = Math.Max(model.MaxActiveSequences, active);
            }
        }

        public int Length { get; private set; }

        public int MaxLength { get; }

        public Span<float> Forward(scoped ReadOnlySpan<int> tokens, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_model.StepDelay > TimeSpan.Zero)
            {
                Task.Delay(_model.StepDelay, cancellationToken).GetAwaiter().GetResult();
            }

            if (Length == 0)
            {
                lock (_model._scripts)
                {
                    _model.Prompts.Add(tokens.ToArray());
                }
            }

            Length += tokens.Length;
            if (Length > MaxLength)
            {
                throw new InvalidOperationException("Sequence too long.");
            }

            Array.Clear(_logits);
            var next = _step < _script.Length ? _script[_step] : _script[^1];
            _step++;
            _logits[next] = 10f;
            return _logits;
        }

        public void Dispose() => Interlocked.Decrement(ref _model.ActiveSequences);
    }
}
