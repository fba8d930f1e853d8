/** sentence-transformers' max_seq_length for all-MiniLM-L6-v2, counting [CLS] and [SEP]. */
export const MAX_TOKENS = 256;
export const EMBEDDING_DIM = 384;
