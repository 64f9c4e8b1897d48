import pytest
import torch

from cpg.nn.bits import pack_bits, unpack_bits


@pytest.mark.parametrize("shape", [(1,), (7,), (8,), (9,), (3, 5, 2, 2), (64, 33)])
def test_pack_unpack_round_trip(shape):
    mask = torch.rand(shape, generator=torch.Generator().manual_seed(0)) > 0.5
    packed = pack_bits(mask)
    assert packed.dtype == torch.uint8
    assert packed.numel() == (mask.numel() + 7) // 8
    assert torch.equal(unpack_bits(packed, shape), mask)


def test_unpack_rejects_wrong_size():
    with pytest.raises(ValueError):
        unpack_bits(torch.zeros(2, dtype=torch.uint8), (30,))
