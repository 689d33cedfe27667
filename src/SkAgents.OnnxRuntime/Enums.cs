namespace SkAgents.OnnxRuntime;

#pragma warning disable CA1720 // member names mirror ONNX's element type names

/// <summary>Element type of a tensor (ONNXTensorElementDataType; same numbers as ONNX TensorProto.DataType).</summary>
public enum TensorElementType
{
    /// <summary>Not a tensor, or unknown.</summary>
    Undefined = 0,

    /// <summary>32-bit float.</summary>
    Float = 1,

    /// <summary>Unsigned 8-bit integer.</summary>
    UInt8 = 2,

    /// <summary>Signed 8-bit integer.</summary>
    Int8 = 3,

    /// <summary>Unsigned 16-bit integer.</summary>
    UInt16 = 4,

    /// <summary>Signed 16-bit integer.</summary>
    Int16 = 5,

    /// <summary>Signed 32-bit integer.</summary>
    Int32 = 6,

    /// <summary>Signed 64-bit integer.</summary>
    Int64 = 7,

    /// <summary>String (not supported by the zero-copy tensor APIs).</summary>
    String = 8,

    /// <summary>Boolean, one byte per element.</summary>
    Bool = 9,

    /// <summary>IEEE 754 half precision (<see cref="Half"/>).</summary>
    Float16 = 10,

    /// <summary>64-bit float.</summary>
    Double = 11,

    /// <summary>Unsigned 32-bit integer.</summary>
    UInt32 = 12,

    /// <summary>Unsigned 64-bit integer.</summary>
    UInt64 = 13,

    /// <summary>Complex of two 32-bit floats.</summary>
    Complex64 = 14,

    /// <summary>Complex of two 64-bit floats.</summary>
    Complex128 = 15,

    /// <summary>Brain floating point (16 bits).</summary>
    BFloat16 = 16,
}
#pragma warning restore CA1720

/// <summary>Kind of an ONNX value (ONNXType).</summary>
public enum OnnxValueType
{
    /// <summary>Unknown.</summary>
    Unknown = 0,

    /// <summary>Dense tensor.</summary>
    Tensor = 1,

    /// <summary>Sequence.</summary>
    Sequence = 2,

    /// <summary>Map.</summary>
    Map = 3,

    /// <summary>Opaque.</summary>
    Opaque = 4,

    /// <summary>Sparse tensor.</summary>
    SparseTensor = 5,

    /// <summary>Optional.</summary>
    Optional = 6,
}

/// <summary>ONNX Runtime log severity (OrtLoggingLevel).</summary>
public enum OrtLoggingLevel
{
    /// <summary>Verbose.</summary>
    Verbose = 0,

    /// <summary>Informational.</summary>
    Info = 1,

    /// <summary>Warnings and above.</summary>
    Warning = 2,

    /// <summary>Errors and above.</summary>
    Error = 3,

    /// <summary>Fatal only.</summary>
    Fatal = 4,
}

/// <summary>Graph optimization level (GraphOptimizationLevel).</summary>
public enum GraphOptimizationLevel
{
    /// <summary>No optimizations.</summary>
    DisableAll = 0,

    /// <summary>Basic (constant folding, redundant node elimination).</summary>
    Basic = 1,

    /// <summary>Extended (fusions).</summary>
    Extended = 2,

    /// <summary>Layout optimizations.</summary>
    Layout = 3,

    /// <summary>All optimizations.</summary>
    All = 99,
}

/// <summary>How a session executes the nodes of a graph (ExecutionMode).</summary>
public enum ExecutionMode
{
    /// <summary>One node at a time (intra-op parallelism only).</summary>
    Sequential = 0,

    /// <summary>Independent nodes in parallel on the inter-op thread pool.</summary>
    Parallel = 1,
}

/// <summary>Error code carried by an ONNX Runtime status (OrtErrorCode).</summary>
public enum OrtErrorCode
{
    /// <summary>Success.</summary>
    Ok = 0,

    /// <summary>Generic failure (also used when a run is terminated).</summary>
    Fail = 1,

    /// <summary>Invalid argument (wrong input name, shape or type, ...).</summary>
    InvalidArgument = 2,

    /// <summary>File not found.</summary>
    NoSuchFile = 3,

    /// <summary>No model.</summary>
    NoModel = 4,

    /// <summary>Engine error.</summary>
    EngineError = 5,

    /// <summary>Runtime exception.</summary>
    RuntimeException = 6,

    /// <summary>The model is not a valid protobuf.</summary>
    InvalidProtobuf = 7,

    /// <summary>Model already loaded.</summary>
    ModelLoaded = 8,

    /// <summary>Not implemented.</summary>
    NotImplemented = 9,

    /// <summary>The graph is invalid.</summary>
    InvalidGraph = 10,

    /// <summary>Execution provider failure.</summary>
    EpFail = 11,

    /// <summary>Model loading was canceled.</summary>
    ModelLoadCanceled = 12,

    /// <summary>The model requires compilation.</summary>
    ModelRequiresCompilation = 13,

    /// <summary>Not found.</summary>
    NotFound = 14,
}
