// NestJS-style DTOs: class-transformer @Type, class-validator decorators and reflect-metadata,
// used by the workflow (inside the sandbox, Worker defaults), the activities and the client.
import 'reflect-metadata';
import { Type } from 'class-transformer';
import { IsArray, IsNotEmpty, IsString, ValidateNested } from 'class-validator';
import { SealedType, Sensitive, type Secret } from '../../../src';

@SealedType('PluginE2E.Visit')
export class VisitDto {
  @IsString() date!: string;
  @IsString() @Sensitive({ purpose: 'phi' }) notes!: string;
}

@SealedType('PluginE2E.Intake')
export class IntakeDto {
  @IsString() @IsNotEmpty() patientId!: string;
  @IsString() clinic!: string;
  @Sensitive({ purpose: 'phi' }) ssn!: Secret<string>;
  @IsArray() @ValidateNested({ each: true }) @Type(() => VisitDto) visits!: VisitDto[];
}

@SealedType('PluginE2E.Note')
export class NoteDto {
  @IsString() author!: string;
  @IsString() @Sensitive({ purpose: 'phi' }) text!: string;
}

@SealedType('PluginE2E.Summary')
export class SummaryDto {
  patientId!: string;
  round!: number;
  @Sensitive({ purpose: 'phi' }) ssn!: Secret<string>;
  @Type(() => NoteDto) notes!: NoteDto[];
  @Type(() => VisitDto) reviewed!: VisitDto[];
}
